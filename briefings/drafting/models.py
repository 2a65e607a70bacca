"""What drafting reads (a cable's address, title and date) and what it gives (drafts)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from briefings.facts.values import Value

# The kinds of statement a draft can be, in the order an editor reviews them.
KINDS = ("bottom_line", "news", "figure", "claim", "assessment", "open_question")
# docs/EDITORIAL.md, rule 1: one voice per statement.
VOICES = ("cable", "cited", "side", "editors")


@dataclass(frozen=True, slots=True)
class CableRef:
    """The cable a preview belongs to: its post's address, title, subtitle and date."""

    url: str
    title: str = ""
    subtitle: str | None = None
    published: str | None = None
    # A paid post's preview stops at the paywall, and what it leaves open is drafted; a free
    # post is whole.
    paid: bool = True


@dataclass(frozen=True, slots=True)
class Draft:
    """One statement drafted from a cable, as the content model holds it, for review.

    `quote` is the cable's exact words, found at `start` in the preview's text; `value` is
    what the cable gives (a figure as it writes it: "around 10-15k"); `unit` only where the
    cable writes one. `who` names whose words they are where they are not the cable's
    (someone cited, a side); `changes` is the key of the fact or claim this draft would change.
    """

    cable: str
    kind: str
    section: str
    label: str
    value: str
    voice: str
    quote: str
    start: int
    sentence: str
    sentence_start: int
    who: str | None = None
    side: str | None = None
    unit: str | None = None
    low: float | None = None
    high: float | None = None
    approx: bool = False
    changes: str | None = None
    as_of: str | None = None

    @property
    def end(self) -> int:
        return self.start + len(self.quote)

    def as_value(self) -> Value:
        """The draft's value as the facts store keeps it: the cable's words as `given`."""
        if self.low is None:
            return Value.words(self.value, self.unit)
        if self.high is not None and self.high != self.low:
            return Value("range", low=self.low, high=self.high, approx=self.approx,
                         unit=self.unit, given=self.value)  # fmt: skip
        return Value("number", low=self.low, approx=self.approx, unit=self.unit, given=self.value)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
