"""Update pushes: what changed in a situation, sent to the chats that asked (/subscribe
updates) once the editors' changes have settled.

A situation's changes have settled when none came for UPDATE_QUIET_SECONDS. Then each chat
that asked, and had no update push in the last day, gets one outbox row telling of every
change since its last update push (its push_marks version) up to now: a set and an undo in
the quiet period net to nothing, and a chat with nothing left to hear of gets no row (its
mark moves on all the same). The row, the chat's new mark and its day's limit are written in
one transaction, in chunks of chats as a cable's rows are, so a kill part-way leaves each
chat either queued and marked or neither, and the next run goes on from there. The outbox
sends the rows like every push.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from bot.desks import Desks
from bot.push.outbox import FILL_CHUNK
from briefings.database import Database, utc_now
from briefings.facts.changes import changes, last_change_at, latest_version
from briefings.situations import Situations

DAY_SECONDS = 24 * 3600
# A situation with nothing new is looked at again this often: chats held back by their
# day's limit get their push within this of the limit's end.
RECHECK_SECONDS = 600


class UpdatePushes:
    """Queues the update pushes that are due."""

    def __init__(
        self,
        db: Database,
        situations: Situations,
        desks: Desks,
        quiet_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.situations = situations
        self.desks = desks
        self.quiet_seconds = quiet_seconds
        self.clock = clock
        # Per situation: the version a whole pass left every chat at, and when.
        self._done: dict[str, tuple[int, float]] = {}

    async def start_from_now(self, chat_id: int) -> None:
        """The chat wants update pushes from now on (nothing from before it asked)."""
        async with self.db.transaction():
            await self.db.execute(
                "UPDATE subscribers SET updates = 1, updates_from = ?, updated_at = ?"
                " WHERE chat_id = ? AND updates = 0",
                (await latest_version(self.db), utc_now(), chat_id),
            )

    async def queue_due(self) -> int:
        """Queue the update pushes due now, for every situation; return how many."""
        queued = 0
        for situation in await self.situations.all():
            queued += await self._queue(situation.id, self.clock())
        return queued

    async def _queue(self, situation_id: str, now: float) -> int:
        last = await last_change_at(self.db, situation_id)
        if last is None or now - datetime.fromisoformat(last).timestamp() < self.quiet_seconds:
            return 0  # never changed, or the editors are still at it
        store = self.desks.get(situation_id).store
        until = await store.content_version()
        done = self._done.get(situation_id)
        if done is not None and done[0] == until and now - done[1] < RECHECK_SECONDS:
            return 0
        news: dict[int, bool] = {}  # whether anything changed between a version and until
        queued, after = 0, -(2**63)
        while True:
            async with self.db.transaction():
                rows = await self.db.fetch_all(
                    "SELECT s.chat_id, COALESCE(m.version, s.updates_from, 0) FROM subscribers s"
                    " LEFT JOIN push_marks m ON m.chat_id = s.chat_id"
                    " AND m.situation_id = ? AND m.kind = 'update'"
                    " WHERE s.updates = 1 AND s.subscribed = 1 AND s.blocked = 0"
                    " AND s.chat_id > ? AND (s.update_pushed_at IS NULL"
                    " OR s.update_pushed_at <= ?) AND COALESCE(m.version, s.updates_from, 0) < ?"
                    " ORDER BY s.chat_id LIMIT ?",
                    (situation_id, after, now - DAY_SECONDS, until, FILL_CHUNK),
                )
                if not rows:
                    break
                for since in {int(row[1]) for row in rows} - news.keys():
                    news[since] = bool(await changes(store, since, until))
                told = [(int(row[0]), int(row[1])) for row in rows if news[int(row[1])]]
                created = utc_now()
                cursor = await self.db.executemany(
                    "INSERT INTO outbox (dedupe_key, kind, chat_id, created_at, situation_id,"
                    " since_version, until_version) VALUES (?, 'update', ?, ?, ?, ?, ?)"
                    " ON CONFLICT (dedupe_key) DO NOTHING",
                    ((f"update:{situation_id}:{until}:{chat}", chat, created, situation_id,
                      since, until) for chat, since in told),
                )  # fmt: skip
                await self.db.executemany(
                    "UPDATE subscribers SET update_pushed_at = ? WHERE chat_id = ?",
                    ((now, chat) for chat, _ in told),
                )
                # Every chat of the chunk has heard of everything up to until, or had
                # nothing to hear of: its mark moves on.
                await self.db.executemany(
                    "INSERT INTO push_marks (chat_id, situation_id, kind, version, day)"
                    " VALUES (?, ?, 'update', ?, ?) ON CONFLICT (chat_id, situation_id, kind)"
                    " DO UPDATE SET version = excluded.version, day = excluded.day",
                    ((row[0], situation_id, until, created[:10]) for row in rows),
                )
            queued += max(cursor.rowcount, 0)
            after = int(rows[-1][0])
        self._done[situation_id] = (until, now)
        return queued
