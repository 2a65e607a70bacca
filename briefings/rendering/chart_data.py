"""What the /forces chart shows: the troop figures on record and the troop claims, from data.

No figure is chosen by key: every live forces fact counted in people is a bar, and every
claim of a number of people is a claim bar, so an editor's new figure is drawn as it lands.
Bars are grouped by side, and by place where the figures are about different places, so no
bar stands beside one it cannot be compared with.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from briefings.facts.models import Claim, Fact
from briefings.facts.store import FactsNow, FactStore
from briefings.facts.values import Value, counts_people
from briefings.rendering.renderer import cable_name, format_as_of
from briefings.situations import Situation

BarKind = Literal["figure", "claim"]
# The heading of figures no side is named for, as the figures section heads them.
NO_SIDE = "Context"


@dataclass(frozen=True, slots=True)
class Bar:
    """One row of the chart: a figure on record, or a side's claim."""

    kind: BarKind
    label: str
    value: Value  # drawn as value.display(): the cable's own words where it gave them
    claimant: str  # the voice, as readers read it: "per the cable", or for a claim the side
    verdict: str | None = None  # with its voice: "The cable's verdict: preposterous"
    as_of: str = "date not recorded"  # as readers read it: "Aug 2024", "2 Sep 2024"

    @property
    def low(self) -> float | None:
        """Where the bar ends (its solid part, for a range); None for a figure in words."""
        return self.value.low if self.value.kind != "text" else None

    @property
    def high(self) -> float | None:
        """Where a range's lighter extension ends; None for a single number."""
        return self.value.high if self.value.kind == "range" else None


@dataclass(frozen=True, slots=True)
class Group:
    """Bars drawn together under one heading: one side's figures about one place.

    side is the side's label as the briefings head it ("🇷🇺 Russia"; NO_SIDE for figures of
    none; None for claims, whose rows name the claimant); place is where the figures are,
    given only where the chart's figures are about different places (the border and Kursk).
    """

    side: str | None
    place: str | None
    bars: tuple[Bar, ...]

    @property
    def heading(self) -> str:
        """As headed: "🇷🇺 Russia · Kursk", "🇧🇾 Belarus", "Belarus-Ukraine border" or ""."""
        return " · ".join(part for part in (self.side, self.place) if part)


@dataclass(frozen=True, slots=True)
class ForcesChart:
    """Everything the chart draws, and the footer the caption repeats."""

    title: str
    figure_groups: tuple[Group, ...]
    claim_groups: tuple[Group, ...]
    as_of: tuple[str, ...]
    sources: tuple[str, ...]

    @property
    def figures(self) -> tuple[Bar, ...]:
        return tuple(bar for group in self.figure_groups for bar in group.bars)

    @property
    def claims(self) -> tuple[Bar, ...]:
        return tuple(bar for group in self.claim_groups for bar in group.bars)

    @property
    def dates_differ(self) -> bool:
        """Whether the bars are of different dates: then each bar says its own."""
        return len(self.as_of) > 1

    @property
    def scale(self) -> float:
        """The largest number drawn: every bar is to this one scale, claims included."""
        ends = [bar.high or bar.low or 0.0 for bar in (*self.figures, *self.claims)]
        return max(ends, default=0.0) or 1.0


def forces_chart(situation: Situation, facts: list[Fact], claims: list[Claim]) -> ForcesChart:
    """Pick the bars from the live facts and claims, grouped by side and place; footer dates
    and sources from the same."""
    charted = {section.name for section in situation.sections if section.kind == "figures"}
    figures = [fact for fact in facts if fact.section in charted and counts_people(fact.value)]
    drawn = {fact.value for fact in figures}
    # A claim whose figure is already drawn as a figure on record would be the same bar
    # twice; a claim with a figure of its own stands apart, in words too ("several brigades").
    claimed = [
        (claim, claim.value) for claim in claims
        if claim.value is not None and counts_people(claim.value) and claim.value not in drawn
    ]  # fmt: skip
    dated: tuple[Fact | Claim, ...] = (*figures, *(claim for claim, _ in claimed))
    # A place is named only where the figures are about different ones: then no bar about
    # the border stands in one group with a bar about Kursk.
    by_place = len({item.place for item in dated}) > 1
    sides = {side.key: side.label for side in situation.sides}
    order = {key: n for n, key in enumerate(sides)}

    def side_rank(fact: Fact) -> tuple[int, int]:
        if fact.side is None:
            return (2, 0)
        return (0, order[fact.side]) if fact.side in order else (1, 0)

    figure_groups: dict[tuple[str, str | None], list[Bar]] = {}
    for fact in sorted(figures, key=side_rank):  # stable: the curated order within a side
        side = NO_SIDE if fact.side is None else sides.get(fact.side, fact.side)
        bar = Bar("figure", fact.label, fact.value, voice_phrase(fact), None,
                  format_as_of(fact.as_of))  # fmt: skip
        figure_groups.setdefault((side, fact.place if by_place else None), []).append(bar)
    claim_groups: dict[str | None, list[Bar]] = {}
    for claim, value in claimed:
        bar = Bar("claim", claim.claim, value, claim.claimant, verdict_phrase(claim),
                  format_as_of(claim.as_of))  # fmt: skip
        claim_groups.setdefault(claim.place if by_place else None, []).append(bar)
    return ForcesChart(
        title=situation.title,
        figure_groups=tuple(
            Group(side, place, tuple(bars)) for (side, place), bars in figure_groups.items()
        ),
        claim_groups=tuple(
            Group(None, place, tuple(bars)) for place, bars in claim_groups.items()
        ),
        as_of=_distinct(format_as_of(item.as_of) for item in dated),
        sources=_distinct(_source_name(item) for item in dated),
    )


async def load_forces_chart(store: FactStore) -> ForcesChart:
    """Read what the chart shows from the store, as it is now."""
    return chart_of(await store.now())


def chart_of(now: FactsNow) -> ForcesChart:
    """What the chart shows of facts already read."""
    return forces_chart(now.situation, now.facts, now.claims)


def voice_phrase(fact: Fact) -> str:
    """Whose figure it is, as the briefings mark it (templates/_macros.html voice)."""
    reporter = "the cable" if fact.source is not None else "the editors"
    if fact.voice == "side":
        return f"per {fact.claimant}"
    if fact.voice == "cited":
        return f"{fact.claimant}, per {reporter}"
    if fact.voice == "editors":
        return "per the editors"
    return "per the cable"


def verdict_phrase(claim: Claim) -> str | None:
    """The verdict with whose it is, or None where none is on record."""
    if not claim.verdict:
        return None
    whose = "The editors'" if claim.verdict_by == "editors" else "The cable's"
    return f"{whose} verdict: {claim.verdict}"


def _source_name(item: Fact | Claim) -> str:
    # As the briefings cite (_macros.html source): an editor's link, else the cable.
    if item.source_url:
        return urlsplit(item.source_url).hostname or item.source_url
    if item.source is not None:
        return cable_name(item.source)
    return "the editors" if item.edited_by else "source not recorded"


def _distinct(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))
