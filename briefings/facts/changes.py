"""What changed in a situation between two versions of its content, from the history.

A situation's content version is the id of the last row of its history (`changes`): every
editors' write (/set, /add, /claim, /retire, /undo, a publish of reviewed drafts through the
same FactEditor) adds one in the transaction that makes the write, so the version moves
with the content and never without it. Ids are shared by every situation and only grow, so
a version read at any moment is a fair floor for every situation. FactStore.content_version
reads it.

What changed is the net change of each statement: its state at `since` against its state at
`until`. A value set and then undone between them nets to nothing; set twice, it is one
change from the first value to the last.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any, Literal

from briefings.database import Database
from briefings.facts.models import Cable, Claim, Fact
from briefings.facts.store import FactStore, claim_from_row, fact_from_row

ChangeKind = Literal[
    "fact_added", "fact_changed", "fact_retired", "claim_added", "claim_changed",
    "verdict_changed", "claim_retired",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class ContentChange:
    """One statement's net change: how it read before and after (None: not in the briefing)."""

    kind: ChangeKind
    key: str
    before: Fact | Claim | None
    after: Fact | Claim | None
    changed_at: str  # when its last change was made (UTC, ISO)
    version: int  # the history row of its last change


async def latest_version(db: Database) -> int:
    """The newest history row of any situation: a floor for every situation's version."""
    return int(await db.fetch_value("SELECT MAX(id) FROM changes") or 0)


async def changed_between(db: Database, situation_id: str, after: int, upto: int) -> bool:
    """Whether the situation has a history row after version after, up to upto."""
    found = await db.fetch_value(
        "SELECT 1 FROM changes WHERE id > ? AND id <= ? AND situation_id = ? LIMIT 1",
        (after, upto, situation_id),
    )
    return found is not None


async def last_change_at(db: Database, situation_id: str) -> str | None:
    """When the situation's content last changed (UTC, ISO), or None if it never did."""
    found = await db.fetch_value(
        "SELECT changed_at FROM changes WHERE situation_id = ? ORDER BY id DESC LIMIT 1",
        (situation_id,),
    )
    return str(found) if found is not None else None


async def changes(store: FactStore, since: int, until: int | None = None) -> list[ContentChange]:
    """The net changes to store's situation after version since, up to until (now: None),
    oldest first. Statements that end as they began are left out."""
    sql = "SELECT * FROM changes WHERE situation_id = ? AND id > ?"
    params: list[Any] = [store.situation_id, since]
    if until is not None:
        sql += " AND id <= ?"
        params.append(until)
    rows = await store.db.fetch_all(sql + " ORDER BY id", params)
    # Each statement's state before its first change in the span, and after its last.
    first: dict[tuple[str, str], dict[str, Any] | None] = {}
    last: dict[tuple[str, str], tuple[dict[str, Any] | None, str, int]] = {}
    for row in rows:
        statement = (row["kind"], row["key"])
        if statement not in first:
            first[statement] = _snapshot(row["before_json"])
        last[statement] = (_snapshot(row["after_json"]), row["changed_at"], row["id"])
    if not last:
        return []
    cables = {cable.id: cable for cable in await store.cables()}
    found = []
    for (kind, key), (after, changed_at, version) in last.items():
        change = _net(kind, key, first[(kind, key)], after, cables, changed_at, version)
        if change is not None:
            found.append(change)
    return sorted(found, key=lambda change: change.version)


def _net(
    kind: str,
    key: str,
    before_row: dict[str, Any] | None,
    after_row: dict[str, Any] | None,
    cables: dict[str, Cable],
    changed_at: str,
    version: int,
) -> ContentChange | None:
    before = _statement(kind, before_row, cables)
    after = _statement(kind, after_row, cables)
    if before is None and after is None:
        return None
    if before is not None and after is not None and _reads_alike(before, after):
        return None  # edited back to what it was: nothing a reader would see
    name: ChangeKind
    if kind == "fact":
        name = "fact_added" if before is None else "fact_retired" if after is None else (
            "fact_changed")  # fmt: skip
    elif before is None:
        name = "claim_added"
    elif after is None:
        name = "claim_retired"
    else:
        assert isinstance(before, Claim) and isinstance(after, Claim)
        same_verdict = (before.verdict, before.verdict_by) == (after.verdict, after.verdict_by)
        name = "claim_changed" if same_verdict else "verdict_changed"
    return ContentChange(name, key, before, after, changed_at, version)


def _statement(
    kind: str, row: dict[str, Any] | None, cables: dict[str, Cable]
) -> Fact | Claim | None:
    """The statement a snapshot holds, as readers would see it; None where it is not live."""
    if row is None or row.get("retired_at") is not None:
        return None
    row = {"value_given": None, "place": None, **row}  # snapshots from before those columns
    if kind == "fact":
        return fact_from_row(row, cables)
    return claim_from_row(row, {}, cables)


def _reads_alike(before: Fact | Claim, after: Fact | Claim) -> bool:
    """Whether two states of a statement show the same (who edited it and where it sits
    aside)."""
    return replace(before, edited_by=None, position=0) == replace(
        after, edited_by=None, position=0
    )


def _snapshot(raw: str | None) -> dict[str, Any] | None:
    return json.loads(raw) if raw else None
