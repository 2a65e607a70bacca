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

import json
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
            # One transaction a chunk, set-based as a cable's rows (Outbox.fill): other
            # writers, a reader's update among them, go between the chunks.
            async with self.db.transaction():
                spans = await self._take_chunk(situation_id, after, now, until)
                if not spans:
                    break
                for since in spans.keys() - news.keys():
                    news[since] = bool(await changes(store, since, until))
                told = [since for since in spans if news[since]]
                queued += await self._write_chunk(situation_id, until, now, told)
            after = max(spans.values())
        self._done[situation_id] = (until, now)
        return queued

    async def _take_chunk(
        self, situation_id: str, after: int, now: float, until: int
    ) -> dict[int, int]:
        """In the caller's transaction: the next FILL_CHUNK chats after `after` due an update
        push of the situation, each with its mark (the version it last heard of), kept in
        the temp table update_chunk, as the three writes after it change what makes a chat
        due. Return each mark found with the chunk's last chat that has it."""
        await self.db.execute(
            "CREATE TEMP TABLE IF NOT EXISTS update_chunk"
            " (chat_id INTEGER PRIMARY KEY, since INTEGER NOT NULL)"
        )
        await self.db.execute("DELETE FROM update_chunk")
        await self.db.execute(
            "INSERT INTO update_chunk (chat_id, since)"
            " SELECT s.chat_id, COALESCE(m.version, s.updates_from, 0) FROM subscribers s"
            " LEFT JOIN push_marks m ON m.chat_id = s.chat_id"
            " AND m.situation_id = ? AND m.kind = 'update'"
            " WHERE s.updates = 1 AND s.subscribed = 1 AND s.blocked = 0"
            " AND s.chat_id > ? AND (s.update_pushed_at IS NULL"
            " OR s.update_pushed_at <= ?) AND COALESCE(m.version, s.updates_from, 0) < ?"
            " ORDER BY s.chat_id LIMIT ?",
            (situation_id, after, now - DAY_SECONDS, until, FILL_CHUNK),
        )
        rows = await self.db.fetch_all(
            "SELECT since, MAX(chat_id) FROM update_chunk GROUP BY since"
        )
        return {int(row[0]): int(row[1]) for row in rows}

    async def _write_chunk(
        self, situation_id: str, until: int, now: float, told: list[int]
    ) -> int:
        """In the caller's transaction: a row for each chat of update_chunk whose mark is one
        of told (it has something to hear of), and its day's limit starts; every chat's mark
        moves on to until (it has heard of everything up to it, or had nothing to hear of).
        Return how many rows were written."""
        created = utc_now()
        told_json = json.dumps(told)
        written = 0
        if told:
            cursor = await self.db.execute(
                "INSERT INTO outbox (dedupe_key, kind, chat_id, created_at, situation_id,"
                " since_version, until_version)"
                " SELECT ? || chat_id, 'update', chat_id, ?, ?, since, ? FROM update_chunk"
                " WHERE since IN (SELECT value FROM json_each(?))"
                " ON CONFLICT (dedupe_key) DO NOTHING",
                (f"update:{situation_id}:{until}:", created, situation_id, until, told_json),
            )
            written = max(cursor.rowcount, 0)
            await self.db.execute(
                "UPDATE subscribers SET update_pushed_at = ? WHERE chat_id IN"
                " (SELECT chat_id FROM update_chunk"
                " WHERE since IN (SELECT value FROM json_each(?)))",
                (now, told_json),
            )
        await self.db.execute(
            "INSERT INTO push_marks (chat_id, situation_id, kind, version, day)"
            " SELECT chat_id, ?, 'update', ?, ? FROM update_chunk WHERE true"
            " ON CONFLICT (chat_id, situation_id, kind)"
            " DO UPDATE SET version = excluded.version, day = excluded.day",
            (situation_id, until, created[:10]),
        )
        return written
