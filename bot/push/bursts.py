"""Bursts: more new cables in one poll than NEW_CABLES_PER_POLL allows.

A feed that changes wholesale (a newsletter moving to its own domain, an imported archive)
would otherwise push every item to every subscriber. Its new cables are stored, not queued,
as one burst; the editors are asked once whether to push them, and the first tap decides.
All of it is in the database, so a restart between the question and the tap keeps both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from briefings.database import Database, RowLike, utc_now

# Callback data of the question's buttons: "burst:push:<id>", "burst:drop:<id>".
BURST_PREFIX = "burst:"
PUSH, DROP = "push", "drop"


@dataclass(frozen=True, slots=True)
class Burst:
    """One poll's held cables (in the order they were published) and what became of them."""

    id: int
    cable_ids: tuple[str, ...]
    decision: str | None = None  # PUSH or DROP, once an editor tapped
    decided_by: int | None = None
    decided_at: str | None = None


# Asks every editor, once, whether to push a burst (bot/push/holds.py).
AskEditors = Callable[[Burst], Awaitable[None]]


class Bursts:
    """Reads and writes bursts. `hold` runs inside the transaction that stores the cables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def hold(self, cable_ids: list[str]) -> None:
        """Record new cables as one burst, not yet asked about."""
        async with self.db.transaction():
            cursor = await self.db.execute("INSERT INTO bursts (held_at) VALUES (?)", (utc_now(),))
            await self.db.executemany(
                "INSERT INTO burst_cables (cable_id, burst_id) VALUES (?, ?)",
                [(cable_id, cursor.lastrowid) for cable_id in cable_ids],
            )

    async def to_ask(self) -> list[Burst]:
        """The bursts the editors have not been asked about, now marked asked: whoever calls
        this asks, and nobody asks twice (a start and a poll may call it together)."""
        # Read first: nearly always there is none, and the writer is not taken for nothing.
        if (
            await self.db.fetch_value(
                "SELECT 1 FROM bursts WHERE asked_at IS NULL AND decision IS NULL LIMIT 1"
            )
            is None
        ):
            return []
        async with self.db.transaction():
            rows = await self.db.fetch_all(
                "SELECT * FROM bursts WHERE asked_at IS NULL AND decision IS NULL ORDER BY id"
            )
            await self.db.execute(
                "UPDATE bursts SET asked_at = ? WHERE asked_at IS NULL AND decision IS NULL",
                (utc_now(),),
            )
            return [await self._burst(row) for row in rows]

    async def decide(self, burst_id: int, decision: str, editor_id: int) -> bool:
        """Take the decision if none was taken (in the caller's transaction, where there is
        one); False if an editor decided first."""
        async with self.db.transaction():
            cursor = await self.db.execute(
                "UPDATE bursts SET decision = ?, decided_by = ?, decided_at = ?"
                " WHERE id = ? AND decision IS NULL",
                (decision, editor_id, utc_now(), burst_id),
            )
        return cursor.rowcount == 1

    async def of_cables(self, cable_ids: list[str]) -> dict[str, Burst]:
        """The burst each of these cables was held in, for those held in one."""
        if not cable_ids:
            return {}
        marks = ", ".join("?" * len(cable_ids))
        rows = await self.db.fetch_all(
            f"SELECT DISTINCT b.* FROM bursts b JOIN burst_cables c ON c.burst_id = b.id"
            f" WHERE c.cable_id IN ({marks})",
            tuple(cable_ids),
        )
        held: dict[str, Burst] = {}
        for row in rows:
            burst = await self._burst(row)
            held.update((cable_id, burst) for cable_id in burst.cable_ids)
        return held

    async def get(self, burst_id: int) -> Burst | None:
        row = await self.db.fetch_one("SELECT * FROM bursts WHERE id = ?", (burst_id,))
        return await self._burst(row) if row is not None else None

    async def _burst(self, row: RowLike) -> Burst:
        cables = await self.db.fetch_all(
            "SELECT cable_id FROM burst_cables WHERE burst_id = ? ORDER BY rowid", (row["id"],)
        )
        return Burst(
            id=row["id"],
            cable_ids=tuple(cable[0] for cable in cables),
            decision=row["decision"],
            decided_by=row["decided_by"],
            decided_at=row["decided_at"],
        )
