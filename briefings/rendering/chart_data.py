"""What the /forces chart shows: the troop figures on record and the troop claims, from data.

No figure is chosen by key: every live forces fact counted in people is a bar, and every
claim of a number of people is a claim bar, so an editor's new figure is drawn as it lands.
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


@dataclass(frozen=True, slots=True)
class Bar:
    """One row of the chart: a figure on record, or a side's claim."""

    kind: BarKind
    label: str
    value: Value
    claimant: str  # the voice, as readers read it: "per the cable", or for a claim the side
    verdict: str | None = None  # with its voice: "The cable's verdict: preposterous"

    @property
    def low(self) -> float | None:
        """Where the bar ends (its solid part, for a range); None for a figure in words."""
        return self.value.low if self.value.kind != "text" else None

    @property
    def high(self) -> float | None:
        """Where a range's lighter extension ends; None for a single number."""
        return self.value.high if self.value.kind == "range" else None


@dataclass(frozen=True, slots=True)
class ForcesChart:
    """Everything the chart draws, and the footer the caption repeats."""

    title: str
    figures: tuple[Bar, ...]
    claims: tuple[Bar, ...]
    as_of: tuple[str, ...]
    sources: tuple[str, ...]

    @property
    def scale(self) -> float:
        """The largest number drawn: every bar is to this one scale, claims included."""
        ends = [bar.high or bar.low or 0.0 for bar in (*self.figures, *self.claims)]
        return max(ends, default=0.0) or 1.0


def forces_chart(situation: Situation, facts: list[Fact], claims: list[Claim]) -> ForcesChart:
    """Pick the bars from the live facts and claims; footer dates and sources from the same."""
    charted = {section.name for section in situation.sections if section.kind == "figures"}
    figures = [fact for fact in facts if fact.section in charted and counts_people(fact.value)]
    drawn = {fact.value for fact in figures}
    # A claim whose figure is already drawn as a figure on record (Belarus's own 20,000)
    # would be the same bar twice; a claim with a figure of its own stands apart.
    numeric_claims = [
        (claim, claim.value) for claim in claims
        if claim.value is not None and counts_people(claim.value)
        and claim.value.kind != "text" and claim.value not in drawn
    ]  # fmt: skip
    dated: tuple[Fact | Claim, ...] = (*figures, *(claim for claim, _ in numeric_claims))
    return ForcesChart(
        title=situation.title,
        figures=tuple(Bar("figure", f.label, f.value, voice_phrase(f)) for f in figures),
        claims=tuple(
            Bar("claim", c.claim, v, c.claimant, verdict_phrase(c)) for c, v in numeric_claims
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
