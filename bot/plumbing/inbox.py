"""No update Telegram considers delivered is lost: each is kept before it is confirmed.

Telegram forgets an update once getUpdates has fetched past it (or once a webhook request
is answered). PTB's Updater puts each update in the update queue, then asks for the next
ones with an offset that confirms them. So the queue keeps what it is given, and the bot
writes it to the database before its next getUpdates leaves (one transaction for a batch),
or, with a webhook, before the request is answered. An update leaves the inbox once it is
handled. At start, what is still there (a hard kill's in-flight and queued updates) is
handled again, oldest first; an editor's change records its update, so a change that landed
before the kill is not made twice.

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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from telegram import Bot, Update

from bot.plumbing.update_shape import well_typed
from briefings.database import Database, Schema, utc_now

log = logging.getLogger(__name__)

# Handled updates leave the inbox in batches, this soon after the first of them.
CLEAR_AFTER_SECONDS = 0.2
# Bodies received and not queued are let go past this many (a getUpdates holds 100 at most).
_MAX_BODIES = 1000

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

# SQLite's INTEGER: an update_id past it cannot be kept.
_MAX_UPDATE_ID = 2**63 - 1


_KEEP = "INSERT OR IGNORE INTO inbox (update_id, body, received_at) VALUES (?, ?, ?)"


def read_update(body: object, bot: Bot) -> Update | None:
    """The update in a body as Telegram sends it, or None where it is not one: not an
    object, an update_id that is not a whole number SQLite can keep, or fields PTB cannot
    read (`"message": 5`, a message without its date) or whose types are not the Bot API's
    (`"chat": {"id": "abc"}`: bot/plumbing/update_shape.py)."""
    if not isinstance(body, dict):
        return None
    update_id = body.get("update_id")
    if type(update_id) is not int or not 0 <= update_id <= _MAX_UPDATE_ID:
        return None
    try:
        update = Update.de_json(body, bot)
    except Exception:  # PTB raises whatever a field's shape provokes
        return None
    return update if well_typed(update) else None


def inbox_path(database: Path) -> Path:
    """The inbox's own file, beside the database: cables.db -> cables.inbox.db."""
    return database.with_name(f"{database.stem}.inbox{database.suffix or '.db'}")


class Inbox:
    """The updates fetched and not yet handled, written in batches."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._kept: list[tuple[int, str, str]] = []
        self._handled: list[int] = []
        self._clearing: asyncio.TimerHandle | None = None
        # Writes under way, each on a task of its own (see flush): close waits for them.
        self._writing: set[asyncio.Task[None]] = set()

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

    @classmethod
    async def open(cls, database: Path, main: Database) -> Inbox:
        """Open the inbox file beside database, taking over what an earlier version left in
        the main database's own inbox table (delivery migration 3)."""
        inbox = cls(await Database.open(inbox_path(database), (INBOX,)))
        left = await main.fetch_all("SELECT update_id, body, received_at FROM inbox")
        if left:
            async with inbox.db.transaction():
                await inbox.db.executemany(_KEEP, [tuple(row) for row in left])
            async with main.transaction():
                await main.execute("DELETE FROM inbox")
        return inbox

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


class InboxQueue(asyncio.Queue[object]):
    """The Application's update queue: what enters it is kept in the inbox first, and no more
    than `backlog` updates are in hand (queued, waiting for their chat, or running) at once.
    """

    def __init__(
        self,
        *,
        backlog: int,
        webhook: bool = False,
        on_arrival: Callable[[object], None] | None = None,
    ) -> None:
        super().__init__()
        # Told of each arrival in either mode (the rate limiter's notices to waiting readers).
        self.on_arrival = on_arrival
        self.inbox: Inbox | None = None  # set once the database is open (post_init)
        # A webhook's update is confirmed when its request is answered, right after `put`.
        self.webhook = webhook
        self.backlog = backlog
        self.in_hand = 0
        self.handled_count = 0  # updates handled since start
        self._room = asyncio.Event()
        self._room.set()
        self._handled = asyncio.Event()
        # Updates as Telegram sent them, by update_id, until queued (see `received`).
        self._bodies: dict[int, dict[str, Any]] = {}

    def received(self, bodies: object) -> None:
        """The updates of one getUpdates answer (or one webhook call) as Telegram sent them,
        just before PTB queues them: the inbox keeps these bodies."""
        if len(self._bodies) > _MAX_BODIES:
            self._bodies.clear()  # updates PTB never queued: the inbox falls back to to_dict
        for body in bodies if isinstance(bodies, list) else [bodies]:
            if isinstance(body, dict) and isinstance(body.get("update_id"), int):
                self._bodies[body["update_id"]] = body
        if self.on_arrival is not None:
            self.on_arrival(bodies)

    async def put(self, item: object) -> None:
        if isinstance(item, Update):
            if self.webhook:
                # Telegram waits for the answer (and sends no more than its max_connections
                # at once), so a full backlog holds the request rather than memory.
                await self._room.wait()
            self._take(item)
            body = self._bodies.pop(item.update_id, None)
            if self.inbox is not None:
                self.inbox.keep(item, body)
                if self.webhook:
                    await self.inbox.flush()
        await super().put(item)

    async def replay(self, update: Update) -> None:
        """Queue an update the inbox already holds (left by the last stop)."""
        self._take(update)
        await super().put(update)

    def handled(self, update_id: int) -> None:
        """An update's handling ended: room for the next, and it leaves the inbox."""
        self.in_hand -= 1
        self.handled_count += 1
        self._handled.set()
        if self.in_hand < self.backlog:
            self._room.set()
        if self.inbox is not None:
            self.inbox.handled(update_id)

    async def wait_handled(self, count: int) -> None:
        """Return once count updates in all have been handled since start."""
        while self.handled_count < count:
            self._handled.clear()
            await self._handled.wait()

    def _take(self, update: Update) -> None:
        self.in_hand += 1
        if self.in_hand >= self.backlog:
            self._room.clear()

    async def before_get_updates(self) -> None:
        """Write what the last getUpdates brought before the next one confirms it; with the
        backlog full, fetch no more until there is room (Telegram keeps the rest)."""
        if self.inbox is not None:
            await self.inbox.flush()
        await self._room.wait()
