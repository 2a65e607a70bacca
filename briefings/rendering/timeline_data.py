"""What /timeline draws: a figure's values over time, from the history of its edits, and the
sides' claims about the same thing (a side's figure is its claim: docs/EDITORIAL.md, rule 3).

Each value is as the briefings showed it then (the cable's words where it gave them), with
whose it was and the date it was true as of.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from briefings.facts.models import Claim, Fact
from briefings.facts.store import FactStore, fact_from_row
from briefings.facts.values import Value
from briefings.rendering.chart_data import verdict_phrase, voice_phrase
from briefings.rendering.renderer import format_as_of

# The latest values drawn, at most: each gets a column a phone can read.
MOST_POINTS = 6


@dataclass(frozen=True, slots=True)
class Point:
    """One value of the figure, or one side's claim about it."""

    as_of: str  # ISO, of any precision
    value: Value
    voice: str  # "per the cable", "ISW, per the editors"; for a claim, the side
    claim: bool = False
    verdict: str | None = None  # a claim's, with whose it is

    @property
    def when(self) -> str:
        return format_as_of(self.as_of)

    @property
    def shown(self) -> str:
        return self.value.display()


@dataclass(frozen=True, slots=True)
class Timeline:
    key: str
    label: str
    points: tuple[Point, ...]  # oldest first
    left_out: int = 0  # older values not drawn


async def timeline_of(store: FactStore, key: str) -> Timeline | None:
    """The figure's values from its history (its first value, then each change's), and the
    live claims about it; None where the situation has no figure of that key."""
    fact = await store.fact(key)
    if fact is None:
        return None
    rows = await store.db.fetch_all(
        "SELECT before_json, after_json FROM changes WHERE situation_id = ? AND kind = 'fact'"
        " AND key = ? ORDER BY id",
        (store.situation_id, key),
    )
    cables = {cable.id: cable for cable in await store.cables()}
    states: list[Fact] = []
    snapshots = [rows[0]["before_json"]] if rows else []
    snapshots += [row["after_json"] for row in rows]
    for raw in snapshots:
        if raw:
            row = {"value_given": None, "place": None, **json.loads(raw)}
            if row.get("retired_at") is None:
                states.append(fact_from_row(row, cables))
    states = states or [fact]
    points = [Point(s.as_of, s.value, voice_phrase(s)) for s in _changed_only(states)]
    points += [_claim_point(claim) for claim in await store.claims() if _about(claim, fact)]
    points.sort(key=lambda point: _day(point.as_of))  # stable: history order within a day
    shown = points[-MOST_POINTS:]
    return Timeline(key, fact.label, tuple(shown), len(points) - len(shown))


def _changed_only(states: list[Fact]) -> list[Fact]:
    """States that differ from the one before in what a reader would see of the value."""
    kept: list[Fact] = []
    for state in states:
        if not kept or (state.value, voice_phrase(state), state.as_of) != (
            kept[-1].value, voice_phrase(kept[-1]), kept[-1].as_of
        ):  # fmt: skip
            kept.append(state)
    return kept


def _about(claim: Claim, fact: Fact) -> bool:
    """Whether a claim gives a figure for what the fact counts (`/set ... by <a side>` makes
    one with the fact's label as its words)."""
    return claim.value is not None and claim.claim.strip().lower() == fact.label.strip().lower()


def _claim_point(claim: Claim) -> Point:
    assert claim.value is not None
    return Point(claim.as_of, claim.value, claim.claimant, True, verdict_phrase(claim))


def _day(as_of: str) -> date:
    """The first day an ISO date of any precision covers ("2024-08": 1 Aug 2024)."""
    parts = [int(part) for part in as_of.split("-")[:3] if part.isdigit()]
    try:
        return date(*[*parts, 1, 1][:3]) if parts else date.min
    except ValueError:
        return date.min
