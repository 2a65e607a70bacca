"""The records the briefings are made of: cables, facts and claims."""

from __future__ import annotations

from dataclasses import dataclass

from briefings.facts.values import Value


@dataclass(frozen=True, slots=True)
class Cable:
    """One issue of the newsletter that facts can cite."""

    id: str
    title: str
    url: str
    url_is_post: bool
    series: str | None = None
    subtitle: str | None = None
    published: str | None = None
    published_label: str | None = None
    paid: bool = False
    # "editors" when the date is the editors' reading (the cable's text carries none).
    dated_by: str | None = None


@dataclass(frozen=True, slots=True)
class Fact:
    """A value with its provenance: who says so, where from, and as of when."""

    key: str
    section: str
    label: str
    value: Value
    claimant: str
    as_of: str
    side: str | None = None
    note: str | None = None
    assessment: str | None = None
    source: Cable | None = None
    source_url: str | None = None
    edited_by: str | None = None
    position: int = 0
    # Whose statement it is (docs/EDITORIAL.md): "side", "cable", "cited" (claimant names who,
    # per the cable or, without a cable, per the editors) or "editors".
    voice: str = "cable"
    quote: str | None = None  # the cable's exact words it rests on
    place: str | None = None  # where the figure is ("Kursk"), where places differ


@dataclass(frozen=True, slots=True)
class Claim:
    """What a side claims, beside the verdict on it and the evidence for that verdict."""

    key: str
    claimant: str
    claim: str
    as_of: str
    value: Value | None = None
    verdict: str | None = None
    reasoning: str | None = None
    evidence: tuple[Fact, ...] = ()
    source: Cable | None = None
    source_url: str | None = None
    edited_by: str | None = None
    position: int = 0
    quote: str | None = None  # the cable's exact words it rests on
    verdict_by: str | None = None  # whose verdict: "cable" or "editors"
    place: str | None = None  # where the claimed figure is, where places differ
