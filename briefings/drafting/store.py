"""The drafts of each cable, kept for the editors' review: waiting, accepted or skipped, and
the situation they go into (none yet: a new one made from the cable).

Accepted drafts stay here, out of the facts and claims readers get, until an editor publishes
them (then they are `published`). A decision is one conditional UPDATE on a waiting draft, so
two editors reviewing the same cable never decide one draft twice.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from briefings.database import Database, RowLike, utc_now
from briefings.drafting.models import Draft

WAITING, ACCEPTED, SKIPPED, PUBLISHED = "waiting", "accepted", "skipped", "published"
# What the editors are told was drafted, in this order: "9 figures, 2 claims, 4 judgements".
KIND_NOUNS: tuple[tuple[str, str], ...] = (
    ("figure", "figure"),
    ("claim", "claim"),
    ("assessment", "judgement"),
    ("bottom_line", "bottom line"),
    ("news", "news line"),
    ("open_question", "open question"),
)


@dataclass(frozen=True, slots=True)
class StoredDraft:
    """A draft as kept: its row id, where it stands, and where it goes."""

    id: int
    cable_id: str
    position: int
    draft: Draft
    status: str
    situation_id: str | None  # None: a new situation made from the cable
    decided_by: int | None


@dataclass(frozen=True, slots=True)
class CableDrafts:
    """One cable's drafts counted by status: what /drafts lists."""

    cable_id: str
    title: str
    rowid: int
    waiting: int
    accepted: int
    skipped: int


class DraftStore:
    """Reads and writes the drafts table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(
        self, cable_id: str, drafts: Sequence[Draft], situation_id: str | None = None
    ) -> int:
        """Keep a cable's drafts, waiting, for a situation (None: a new one made from the
        cable); a cable drafted before keeps its first drafts."""
        async with self.db.transaction():
            if await self.db.fetch_value(
                "SELECT 1 FROM drafts WHERE cable_id = ? LIMIT 1", (cable_id,)
            ):
                return 0
            now = utc_now()
            rows = [(cable_id, n, d.kind, _dump(d), situation_id, now)
                    for n, d in enumerate(drafts)]  # fmt: skip
            await self.db.executemany(
                "INSERT INTO drafts (cable_id, position, kind, draft_json, situation_id,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
        return len(drafts)

    async def get(self, draft_id: int) -> StoredDraft | None:
        row = await self.db.fetch_one("SELECT * FROM drafts WHERE id = ?", (draft_id,))
        return _stored(row) if row is not None else None

    async def of_cable(self, cable_id: str, status: str | None = None) -> list[StoredDraft]:
        sql = "SELECT * FROM drafts WHERE cable_id = ?"
        params: list[Any] = [cable_id]
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        rows = await self.db.fetch_all(sql + " ORDER BY position", params)
        return [_stored(row) for row in rows]

    async def next_waiting(self, cable_id: str, after: int = -1) -> StoredDraft | None:
        """The cable's first waiting draft after position `after` (else from the start)."""
        rows = await self.of_cable(cable_id, WAITING)
        return next((d for d in rows if d.position > after), rows[0] if rows else None)

    async def decide(self, draft_id: int, status: str, editor_id: int) -> bool:
        """Accept or skip a waiting draft; False if it was decided already (by anyone)."""
        async with self.db.transaction():
            cursor = await self.db.execute(
                "UPDATE drafts SET status = ?, decided_by = ?, updated_at = ?"
                " WHERE id = ? AND status = 'waiting'",
                (status, editor_id, utc_now(), draft_id),
            )
        return cursor.rowcount == 1

    async def accept_rest(self, cable_id: str, editor_id: int) -> int:
        """Accept every draft of the cable still waiting; how many."""
        async with self.db.transaction():
            cursor = await self.db.execute(
                "UPDATE drafts SET status = 'accepted', decided_by = ?, updated_at = ?"
                " WHERE cable_id = ? AND status = 'waiting'",
                (editor_id, utc_now(), cable_id),
            )
        return cursor.rowcount

    async def rewrite(self, draft_id: int, draft: Draft) -> bool:
        """Keep an editor's edit of a waiting draft (its value, label or voice)."""
        async with self.db.transaction():
            cursor = await self.db.execute(
                "UPDATE drafts SET draft_json = ?, kind = ?, updated_at = ?"
                " WHERE id = ? AND status = 'waiting'",
                (_dump(draft), draft.kind, utc_now(), draft_id),
            )
        return cursor.rowcount == 1

    async def aim(self, cable_id: str, situation_id: str | None) -> None:
        """Send the cable's drafts not yet published into a situation (None: a new one)."""
        async with self.db.transaction():
            await self.db.execute(
                "UPDATE drafts SET situation_id = ?, updated_at = ?"
                " WHERE cable_id = ? AND status IN ('waiting', 'accepted')",
                (situation_id, utc_now(), cable_id),
            )

    async def target(self, cable_id: str) -> str | None:
        """The situation the cable's drafts go into (None: a new one from the cable)."""
        found = await self.db.fetch_value(
            "SELECT situation_id FROM drafts WHERE cable_id = ? AND status != 'published'"
            " ORDER BY position LIMIT 1",
            (cable_id,),
        )
        return str(found) if found is not None else None

    async def mark_published(self, ids: Sequence[int], situation_id: str) -> int:
        """In the caller's transaction: the accepted drafts published, into that situation."""
        now = utc_now()
        count = 0
        for draft_id in ids:
            cursor = await self.db.execute(
                "UPDATE drafts SET status = 'published', situation_id = ?, updated_at = ?"
                " WHERE id = ? AND status = 'accepted'",
                (situation_id, now, draft_id),
            )
            count += cursor.rowcount
        return count

    async def published_in(self, ids: Sequence[int], change_id: int) -> None:
        """In the caller's transaction: the drafts published went live in that change."""
        await self.db.executemany(
            "UPDATE drafts SET published_in = ? WHERE id = ? AND status = 'published'",
            ((change_id, draft_id) for draft_id in ids),
        )

    async def reopen(self, change_id: int) -> int:
        """In the caller's transaction: the drafts a change published, back among the
        accepted (the change was undone); return how many."""
        cursor = await self.db.execute(
            "UPDATE drafts SET status = 'accepted', published_in = NULL, updated_at = ?"
            " WHERE published_in = ? AND status = 'published'",
            (utc_now(), change_id),
        )
        return max(cursor.rowcount, 0)

    async def cable_of_row(self, rowid: int) -> str | None:
        """The id of the cable in that row (a button names a cable by its row, in 64 bytes)."""
        found = await self.db.fetch_value("SELECT id FROM cables WHERE rowid = ?", (rowid,))
        return str(found) if found is not None else None

    async def situation_choices(self) -> list[tuple[int, str, str]]:
        """Every situation drafts can go into: its row (for a button), slug and title."""
        rows = await self.db.fetch_all("SELECT rowid, id, title FROM situations ORDER BY rowid")
        return [(int(row[0]), row[1], row[2]) for row in rows]

    async def counts(self, cable_id: str) -> Counter[str]:
        """The cable's drafts by status."""
        rows = await self.db.fetch_all(
            "SELECT status, COUNT(*) FROM drafts WHERE cable_id = ? GROUP BY status", (cable_id,)
        )
        return Counter({row[0]: int(row[1]) for row in rows})

    async def undecided(self) -> list[CableDrafts]:
        """Every cable with drafts waiting or accepted but not published, newest first."""
        rows = await self.db.fetch_all(
            "SELECT c.id, c.title, c.rowid AS cable_rowid,"
            " SUM(d.status = 'waiting') AS waiting, SUM(d.status = 'accepted') AS accepted,"
            " SUM(d.status = 'skipped') AS skipped"
            " FROM drafts d JOIN cables c ON c.id = d.cable_id GROUP BY c.id"
            " HAVING SUM(d.status IN ('waiting', 'accepted')) > 0 ORDER BY c.rowid DESC"
        )
        return [
            CableDrafts(row[0], row[1], int(row[2]), int(row[3]), int(row[4]), int(row[5]))
            for row in rows
        ]


def kind_counts(drafts: Sequence[Draft]) -> list[tuple[int, str]]:
    """What was drafted, kind by kind, as counts and nouns for the `counted` filter."""
    by_kind = Counter(draft.kind for draft in drafts)
    return [(by_kind[kind], noun) for kind, noun in KIND_NOUNS if by_kind[kind]]


def _dump(draft: Draft) -> str:
    return json.dumps(draft.as_dict(), ensure_ascii=False)


def _stored(row: RowLike) -> StoredDraft:
    fields = json.loads(row["draft_json"])
    return StoredDraft(
        id=row["id"],
        cable_id=row["cable_id"],
        position=row["position"],
        draft=Draft(**fields),
        status=row["status"],
        situation_id=row["situation_id"],
        decided_by=row["decided_by"],
    )
