"""The inbox's database file: updates kept until handled, written in batches.

The inbox has a database file of its own beside the main one (cables.db: cables.inbox.db):
SQLite lets one writer at a time into a file, and an update's write must not wait behind an
editor's change or a million-subscriber outbox (B7 in BENCHMARKS.md).

An update the bot cannot read (`read_update` refuses it) is never handled: replayed, it would
fail at every start. The webhook refuses such bodies; one already kept (by an older version,
say) is moved to the set_aside table at start, logged once, and kept for a look by hand.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

from telegram import Bot, Update

from bot.plumbing.update_shape import read_update
from briefings.database import Database, Schema, utc_now

log = logging.getLogger(__name__)

# Handled updates leave the inbox in batches, this soon after the first of them.
CLEAR_AFTER_SECONDS = 0.2

INBOX = Schema(
    "inbox",
    (
        """
        CREATE TABLE inbox (
            update_id INTEGER PRIMARY KEY,
            body TEXT NOT NULL,
            received_at TEXT NOT NULL
        )
        """,
        # 2: updates that cannot be read, kept apart and never handled
        """
        CREATE TABLE set_aside (
            id INTEGER PRIMARY KEY,
            update_id INTEGER NOT NULL,
            body TEXT NOT NULL,
            received_at TEXT NOT NULL,
            set_aside_at TEXT NOT NULL,
            reason TEXT NOT NULL
        )
        """,
    ),
)

_KEEP = "INSERT OR IGNORE INTO inbox (update_id, body, received_at) VALUES (?, ?, ?)"


def inbox_path(database: Path) -> Path:
    """The inbox's own file, beside the database: cables.db -> cables.inbox.db."""
    return database.with_name(f"{database.stem}.inbox{database.suffix or '.db'}")


class InboxStore:
    """The updates fetched and not yet handled, written in batches."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._kept: list[tuple[int, str, str]] = []
        self._handled: list[int] = []
        self._clearing: asyncio.TimerHandle | None = None
        # Writes under way, each on a task of its own (see flush): close waits for them.
        self._writing: set[asyncio.Task[None]] = set()

    @classmethod
    async def open(cls, path: Path) -> InboxStore:
        return cls(await Database.open(path, (INBOX,)))

    def keep(self, update: Update, body: dict[str, Any] | None = None) -> None:
        """Hold an update until the next flush writes it: its body as Telegram sent it where
        that is given (PTB's to_dict costs ten times json.dumps of the body)."""
        text = json.dumps(body if body is not None else update.to_dict())
        self._kept.append((update.update_id, text, utc_now()))

    async def flush(self) -> None:
        """Write the updates kept since the last flush, and clear the handled ones.

        The write runs on a task of its own, which a cancelled caller does not stop: PTB
        cancels the getUpdates under way when polling stops (and does not wait for it), and
        that call begins with this write. Cut off there, the batch was lost (handled updates
        handled again at the next start) and the next write found the connection still
        inside the cut-off transaction.
        """
        write = self._write_soon()
        if write is not None:
            await asyncio.shield(write)

    def _write_soon(self) -> asyncio.Task[None] | None:
        kept, self._kept = self._kept, []
        handled, self._handled = self._handled, []
        if not kept and not handled:
            return None
        write = asyncio.get_running_loop().create_task(
            self._write(kept, handled), name="inbox-write"
        )
        self._writing.add(write)
        write.add_done_callback(self._writing.discard)
        return write

    async def _write(self, kept: list[tuple[int, str, str]], handled: list[int]) -> None:
        try:
            async with self.db.transaction():
                await self.db.executemany(_KEEP, kept)
                await self.db.executemany(
                    "DELETE FROM inbox WHERE update_id = ?", ((uid,) for uid in handled)
                )
        except sqlite3.Error as exc:
            # Another process holds the database (a backup, an operator's shell): updates are
            # still handled, from memory; only a kill right now would lose them.
            log.warning("inbox not written (%d kept, %d handled): %s",
                        len(kept), len(handled), exc)  # fmt: skip

    def handled(self, update_id: int) -> None:
        """An update's handling ended: it leaves the inbox with the next batch."""
        self._handled.append(update_id)
        if self._clearing is None:
            loop = asyncio.get_running_loop()
            self._clearing = loop.call_later(CLEAR_AFTER_SECONDS, self._clear)

    def _clear(self) -> None:
        self._clearing = None
        self._write_soon()

    async def close(self) -> None:
        if self._clearing is not None:
            self._clearing.cancel()
            self._clearing = None
        await self.flush()
        # Writes begun by callers since cancelled (a stopped getUpdates) end before the file
        # is closed under them.
        await asyncio.gather(*self._writing)
        await self.db.close()

    async def waiting(self, bot: Bot) -> list[Update]:
        """The updates kept and not handled, oldest first; those that cannot be read are
        set aside instead, and logged once."""
        rows = await self.db.fetch_all(
            "SELECT update_id, body, received_at FROM inbox ORDER BY update_id"
        )
        updates: list[Update] = []
        unreadable: list[tuple[int, str, str, str, str]] = []
        for update_id, body, received_at in rows:
            try:
                update = read_update(json.loads(body), bot)
            except (ValueError, RecursionError):
                update = None
            if update is not None and update.update_id == update_id:
                updates.append(update)
            else:
                reason = "not an update" if update is None else "update_id is not its key"
                unreadable.append((update_id, body, received_at, utc_now(), reason))
        if unreadable:
            async with self.db.transaction():
                await self.db.executemany(
                    "INSERT INTO set_aside (update_id, body, received_at, set_aside_at, reason)"
                    " VALUES (?, ?, ?, ?, ?)",
                    unreadable,
                )
                await self.db.executemany(
                    "DELETE FROM inbox WHERE update_id = ?", ((row[0],) for row in unreadable)
                )
            log.warning(
                "set aside %d updates that cannot be read (never handled; kept in the"
                " set_aside table of %s)", len(unreadable), self.db.path.name,
            )  # fmt: skip
        return updates
