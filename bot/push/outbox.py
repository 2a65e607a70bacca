"""The push outbox: one row per message to send, drained by the push worker.

A new cable and the promise of its rows (outbox_fills) are written in one transaction; the
rows themselves follow in short chunks, so a million of them never hold the database for
long, and a stop part-way resumes at the next start. A crash never leaves a cable without
its deliveries, nor deliveries without their cable.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from briefings.database import Database, utc_now

Outcome = Literal[
    "sent", "retry", "failed", "blocked", "deferred", "cancelled", "migrated", "held"
]
# Subscribers whose rows one transaction writes: about 25 ms of the writer's time, so a
# reader's update waits no longer than that behind a million-subscriber push.
FILL_CHUNK = 5_000
_BEFORE_EVERY_CHAT = -(2**63)
# A held cable's pending rows wait this far in the future (next_attempt_at), out of every
# query for due rows, until it is released.
PARKED = 1e12


@dataclass(frozen=True, slots=True)
class Delivery:
    """A pending outbox row."""

    id: int
    kind: str
    cable_id: str | None
    chat_id: int
    attempts: int
    late: bool = False  # a daily briefing queued after its time (the bot was down)
    # An update push or a daily: the situation and the span of its versions it tells of.
    situation_id: str | None = None
    since: int | None = None
    until: int | None = None
    since_day: str | None = None  # a daily: the chat's day of its last one


@dataclass(frozen=True, slots=True)
class Result:
    """What happened to one delivery, to be written back."""

    delivery: Delivery
    outcome: Outcome
    error: str | None = None
    retry_at: float = 0.0
    new_chat_id: int | None = None  # for "migrated": the supergroup the group became


class Outbox:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def start_fill(self, cable_id: str) -> None:
        """Mark a cable's outbox rows as to be written (in the caller's transaction: the
        cable's own, so a stored cable always has its rows, or the promise of them)."""
        async with self.db.transaction():
            await self.db.execute(
                "INSERT INTO outbox_fills (cable_id, after_chat_id) VALUES (?, ?)"
                " ON CONFLICT (cable_id) DO NOTHING",
                (cable_id, _BEFORE_EVERY_CHAT),
            )

    async def fill(self, cable_id: str, chunk: int = FILL_CHUNK) -> int:
        """Write a cable's rows for every active subscriber, one short transaction per chunk
        (other writers, a reader's update among them, go between); return how many."""
        written = 0
        while True:
            async with self.db.transaction():
                after = await self.db.fetch_value(
                    "SELECT after_chat_id FROM outbox_fills WHERE cable_id = ?", (cable_id,)
                )
                if after is None:
                    return written
                last = await self.db.fetch_value(
                    "SELECT MAX(chat_id) FROM (SELECT chat_id FROM subscribers"
                    " WHERE subscribed = 1 AND blocked = 0 AND chat_id > ?"
                    " ORDER BY chat_id LIMIT ?)",
                    (after, chunk),
                )
                if last is None:
                    await self.db.execute(
                        "DELETE FROM outbox_fills WHERE cable_id = ?", (cable_id,)
                    )
                    return written
                # A held cable's rows are written parked, as the hold left its others.
                cursor = await self.db.execute(
                    "INSERT INTO outbox (dedupe_key, kind, cable_id, chat_id, created_at,"
                    " next_attempt_at)"
                    " SELECT 'cable:' || ? || ':' || chat_id, 'cable', ?, chat_id, ?,"
                    " CASE WHEN EXISTS (SELECT 1 FROM cable_holds WHERE cable_id = ?)"
                    " THEN ? ELSE 0 END"
                    " FROM subscribers WHERE subscribed = 1 AND blocked = 0"
                    " AND chat_id > ? AND chat_id <= ?"
                    " ON CONFLICT (dedupe_key) DO NOTHING",
                    (cable_id, cable_id, utc_now(), cable_id, PARKED, after, last),
                )
                await self.db.execute(
                    "UPDATE outbox_fills SET after_chat_id = ? WHERE cable_id = ?",
                    (last, cable_id),
                )
            written += cursor.rowcount

    async def unfinished_fills(self) -> list[str]:
        """Cables whose rows a stop left part-written, oldest first."""
        rows = await self.db.fetch_all("SELECT cable_id FROM outbox_fills ORDER BY rowid")
        return [row[0] for row in rows]

    async def due(self, limit: int, now: float | None = None) -> list[Delivery]:
        """Pending rows whose time has come, oldest first."""
        rows = await self.db.fetch_all(
            "SELECT id, kind, cable_id, chat_id, attempts, late, situation_id, since_version,"
            " until_version, since_day FROM outbox"
            " WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?",
            (time.time() if now is None else now, limit),
        )
        return [Delivery(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7], r[8], r[9])
                for r in rows]  # fmt: skip

    async def claim(self, delivery: Delivery) -> bool:
        """Write, before it is sent, that a push is being sent; False where it already was
        (a kill came between its send and its outcome: it may have arrived, so it is not
        sent again). For pushes a second copy of which would be worse than none."""
        async with self.db.transaction():
            cursor = await self.db.execute(
                "UPDATE outbox SET claimed_at = ? WHERE id = ? AND claimed_at IS NULL",
                (utc_now(), delivery.id),
            )
        return cursor.rowcount == 1

    async def next_retry_at(self) -> float | None:
        row = await self.db.fetch_one(
            "SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending'"
            " AND next_attempt_at < ?",
            (PARKED,),
        )
        return float(row[0]) if row and row[0] is not None else None

    async def record(self, results: list[Result]) -> list[tuple[str, str]]:
        """Write a batch of outcomes in one transaction; blocked chats are marked inactive.
        Return the cables this batch held, each with the reason (the editors are told)."""
        if not results:
            return []
        now = utc_now()
        held: list[tuple[str, str]] = []
        sent = [(now, result.delivery.id) for result in results if result.outcome == "sent"]
        async with self.db.transaction():
            # Nearly every outcome is "sent": one statement for them all keeps the flush (which
            # the worker waits for between sends) to a few milliseconds at 1,000 sends/s.
            await self.db.executemany(
                "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1,"
                " last_error = NULL WHERE id = ?",
                sent,
            )
            for result in results:
                cable_id = result.delivery.cable_id
                if result.outcome == "held" and cable_id is not None:
                    if await self.hold_cable(cable_id, result.error or "refused by Telegram"):
                        held.append((cable_id, result.error or ""))
                elif result.outcome != "sent":
                    await self._record_failure(result, now)
        return held

    async def hold_cable(self, cable_id: str, reason: str, *, told: bool = True) -> bool:
        """Stop a cable's delivery: its pending rows are parked until release_cable. Return
        whether it was newly held (in the caller's transaction, where there is one). told:
        the caller tells the editors; else whoever takes it from untold_holds does."""
        async with self.db.transaction():
            cursor = await self.db.execute(
                "INSERT INTO cable_holds (cable_id, reason, held_at, told) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (cable_id) DO NOTHING",
                (cable_id, reason, utc_now(), int(told)),
            )
            await self.db.execute(
                "UPDATE outbox SET next_attempt_at = ? WHERE cable_id = ? AND status = 'pending'",
                (PARKED, cable_id),
            )
        return cursor.rowcount == 1

    async def release_cable(self, cable_id: str) -> int:
        """Resume a held cable's delivery; return how many pushes are waiting to go."""
        async with self.db.transaction():
            await self.db.execute("DELETE FROM cable_holds WHERE cable_id = ?", (cable_id,))
            cursor = await self.db.execute(
                "UPDATE outbox SET next_attempt_at = 0, attempts = 0 WHERE cable_id = ?"
                " AND status = 'pending'",
                (cable_id,),
            )
        return cursor.rowcount

    async def untold_holds(self, cable_id: str | None = None) -> list[tuple[str, str]]:
        """Take the holds the editors are not told of yet (of one cable, where it is named),
        each with its reason: marked told, so that only the caller tells them."""
        only = " AND cable_id = ?" if cable_id is not None else ""
        params = () if cable_id is None else (cable_id,)
        if not await self.db.fetch_value(
            f"SELECT 1 FROM cable_holds WHERE told = 0{only}", params
        ):
            return []  # as nearly always: no write transaction at every poll
        async with self.db.transaction():
            cursor = await self.db.execute(
                f"UPDATE cable_holds SET told = 1 WHERE told = 0{only} RETURNING cable_id, reason",
                params,
            )
            rows = await cursor.fetchall()
        return [(row[0], row[1]) for row in rows]

    async def holds(self) -> dict[str, str]:
        """Each held cable's id, with why it is held."""
        rows = await self.db.fetch_all("SELECT cable_id, reason FROM cable_holds")
        return {row[0]: row[1] for row in rows}

    async def _record_failure(self, result: Result, now: str) -> None:
        row_id = result.delivery.id
        if result.outcome == "migrated" and result.new_chat_id is not None:
            await migrate_chat(self.db, result.delivery.chat_id, result.new_chat_id)
            return
        if result.outcome in ("retry", "deferred"):
            bump = 1 if result.outcome == "retry" else 0  # a 429 is Telegram's pacing, not a fault
            # Not sent (Telegram said so): it may be claimed again.
            await self.db.execute(
                "UPDATE outbox SET attempts = attempts + ?, next_attempt_at = ?, last_error = ?,"
                " claimed_at = NULL WHERE id = ?",
                (bump, result.retry_at, result.error, row_id),
            )
        else:
            await self.db.execute(
                "UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?"
                " WHERE id = ?",
                (result.outcome, result.error, row_id),
            )
        if result.outcome == "blocked":
            await self.db.execute(
                "UPDATE subscribers SET blocked = 1, updated_at = ? WHERE chat_id = ?",
                (now, result.delivery.chat_id),
            )
            await self.db.execute(
                "UPDATE outbox SET status = 'blocked', last_error = 'chat blocked the bot'"
                " WHERE chat_id = ? AND status = 'pending'",
                (result.delivery.chat_id,),
            )

    async def progress(self, cable_id: str) -> Counter[str]:
        """Counts of a cable's deliveries by status."""
        rows = await self.db.fetch_all(
            "SELECT status, COUNT(*) FROM outbox WHERE cable_id = ? GROUP BY status",
            (cable_id,),
        )
        return Counter({row[0]: row[1] for row in rows})


async def migrate_chat(db: Database, old_chat_id: int, new_chat_id: int) -> None:
    """A group became a supergroup: its subscription and pending pushes move to the new id
    (in the caller's transaction, where there is one)."""
    async with db.transaction():
        await db.execute(
            "UPDATE OR IGNORE subscribers SET chat_id = ?, chat_type = 'supergroup',"
            " updated_at = ? WHERE chat_id = ?",
            (new_chat_id, utc_now(), old_chat_id),
        )
        await db.execute("DELETE FROM subscribers WHERE chat_id = ?", (old_chat_id,))
        # Pending pushes follow (once: the dedupe key names the chat, so rebuild it).
        await db.execute(
            "UPDATE OR IGNORE outbox SET chat_id = ?, claimed_at = NULL,"
            " dedupe_key = replace(dedupe_key, ':' || ?, ':' || ?) WHERE chat_id = ?"
            " AND status = 'pending'",
            (new_chat_id, old_chat_id, new_chat_id, old_chat_id),
        )
        await db.execute(
            "UPDATE outbox SET status = 'cancelled', last_error = 'chat migrated'"
            " WHERE chat_id = ? AND status = 'pending'",
            (old_chat_id,),
        )
