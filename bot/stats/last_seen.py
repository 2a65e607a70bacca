"""The content version each reader last read, per situation: what "Since you last looked"
is measured from. Kept as /stats keeps its counts: in memory, written with them each minute
(a reply never waits for a write), dropped after RETENTION_DAYS, erased by /forget."""

from __future__ import annotations

import logging
import sqlite3
from datetime import date, timedelta

from bot.stats.store import RETENTION_DAYS, today
from briefings.database import Database
from briefings.facts.changes import changed_between

log = logging.getLogger(__name__)

# Versions kept in memory after they were read or written, at most: past it they are read
# again from the database (a reader's version is one small row).
_KNOWN_AT_MOST = 100_000

Reader = tuple[int, str]  # user id, situation id


class LastSeen:
    """Readers' last-read versions, read through memory and written by flush()."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._known: dict[Reader, int] = {}
        self._pending: dict[Reader, tuple[int, str]] = {}  # version, day

    async def swap(self, user_id: int, situation_id: str, version: int) -> int | None:
        """Note that the reader now reads version of the situation; return the version they
        read before (None: they never read it, or not in RETENTION_DAYS)."""
        reader = (user_id, situation_id)
        before = await self._read(reader)
        self._note(reader, max(version, before or 0))
        return before

    async def heard(self, user_id: int, situation_id: str, since: int, until: int) -> None:
        """The reader was told of every change of the situation from since to until (an
        update push): if they had read it up to since, they have now read it up to until, and
        their next briefing does not tell those changes again."""
        reader = (user_id, situation_id)
        before = await self._read(reader)
        if before is None or before >= until:
            return  # never read it (nothing to lead with), or read it since
        if before < since and await changed_between(self.db, situation_id, before, since):
            return  # changes before the push's span they have not read: still to be told
        self._note(reader, until)

    async def _read(self, reader: Reader) -> int | None:
        if (known := self._known.get(reader)) is not None:
            return known
        if reader in self._pending:
            return self._pending[reader][0]
        # A read by key, on the hot path of every briefing: peeked on the loop's thread.
        found = await self.db.peek(
            "SELECT version FROM reader_versions WHERE user_id = ? AND situation_id = ?",
            reader,
        )
        return int(found) if found is not None else None

    def _note(self, reader: Reader, version: int) -> None:
        if len(self._known) >= _KNOWN_AT_MOST:
            self._known.clear()
        self._known[reader] = version
        self._pending[reader] = (version, today())

    async def flush(self) -> None:
        """Write the versions read since the last time; drop those read too long ago."""
        pending, self._pending = self._pending, {}
        if not pending:
            return
        cutoff = (date.fromisoformat(today()) - timedelta(days=RETENTION_DAYS)).isoformat()
        try:
            async with self.db.transaction():
                await self.db.executemany(
                    "INSERT INTO reader_versions (user_id, situation_id, version, day)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (user_id, situation_id) DO UPDATE SET"
                    " version = MAX(version, excluded.version), day = excluded.day",
                    ((user, situation, version, day)
                     for (user, situation), (version, day) in pending.items()),
                )  # fmt: skip
                dropped = await self.db.execute(
                    "DELETE FROM reader_versions WHERE day < ?", (cutoff,)
                )
        except sqlite3.Error as exc:
            log.warning("last-read versions not written (%d readers): %s", len(pending), exc)
            return
        if dropped.rowcount:
            self._known.clear()  # those dropped are forgotten here too

    async def forget(self, user_id: int) -> int:
        """Erase the versions a user last read, those still in memory too; return for how
        many situations."""
        held = {reader for reader in self._pending if reader[0] == user_id}
        self._pending = {r: v for r, v in self._pending.items() if r[0] != user_id}
        self._known = {r: v for r, v in self._known.items() if r[0] != user_id}
        async with self.db.transaction():
            rows = await self.db.fetch_all(
                "SELECT situation_id FROM reader_versions WHERE user_id = ?", (user_id,)
            )
            await self.db.execute("DELETE FROM reader_versions WHERE user_id = ?", (user_id,))
        return len({situation for _, situation in held} | {str(row[0]) for row in rows})
