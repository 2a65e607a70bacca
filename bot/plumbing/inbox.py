"""No update Telegram considers delivered is lost: each is kept before it is confirmed.

Telegram forgets an update once getUpdates has fetched past it (or once a webhook request
is answered). PTB's Updater puts each update in the update queue, then asks for the next
ones with an offset that confirms them. So the queue keeps what it is given, and the bot
writes it to the database before its next getUpdates leaves (one transaction for a batch),
or, with a webhook, before the request is answered. An update leaves the inbox once it is
handled. At start, what is still there (a hard kill's in-flight and queued updates) is
handled again, oldest first; an editor's change records its update, so a change that landed
before the kill is not made twice. The file and its writes: bot/plumbing/inbox_store.py.

The inbox is one object, made with the Application (bot/app.py), whose parts PTB is given:
its update queue (`queue`), its getUpdates request (`updates_request`), and `handled` for the
update processor. `initialize` (post_init) opens its file and queues what a stop left there;
`shutdown` (post_shutdown) writes what is left and closes it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from telegram import Bot, Update
from telegram.request import BaseRequest, RequestData

from bot.plumbing.inbox_store import InboxStore
from bot.plumbing.telegram_http import AiohttpRequest

log = logging.getLogger(__name__)

# Bodies received and not queued are let go past this many (a getUpdates holds 100 at most).
_MAX_BODIES = 1000


class Inbox:
    """Each update from its arrival until it is handled: kept in the inbox's file before
    Telegram is told it arrived, and no more than `backlog` in hand (queued, waiting for
    their chat, or running) at once."""

    def __init__(
        self,
        path: Path,
        *,
        backlog: int,
        webhook: bool = False,
        on_arrival: Callable[[object], None] | None = None,
        on_handled: Callable[[int], None] | None = None,
    ) -> None:
        self.path = path
        # A webhook's update is confirmed when its request is answered, right after `take`.
        self.webhook = webhook
        self.backlog = backlog
        # Told of each arrival and each end of handling, in either mode (the rate limiter's
        # notices to readers long unanswered).
        self._on_arrival = on_arrival
        self._on_handled = on_handled
        self.store: InboxStore | None = None  # the file, open between initialize and shutdown
        self.in_hand = 0
        self._room = asyncio.Event()
        self._room.set()
        # Updates as Telegram sent them, by update_id, until queued (see `received`).
        self._bodies: dict[int, dict[str, Any]] = {}
        self.queue = InboxQueue(self)
        self.updates_request = InboxRequest(self)

    async def initialize(self, bot: Bot) -> None:
        """Open the file, and queue again, oldest first, the updates a stop left there."""
        if self.store is not None:
            return
        self.store = await InboxStore.open(self.path)
        waiting = await self.store.waiting(bot)
        for update in waiting:
            self._take(update)
            self.queue.put_nowait(update)  # kept already: not through put, which keeps
        if waiting:
            log.warning("handling again %d updates a stop left unhandled", len(waiting))

    async def shutdown(self) -> None:
        """Write what is left (the last updates handled leave the inbox) and close the file."""
        store, self.store = self.store, None
        if store is not None:
            await store.close()

    def received(self, bodies: object) -> None:
        """The updates of one getUpdates answer (or one webhook call) as Telegram sent them,
        just before PTB queues them: the inbox keeps these bodies."""
        if len(self._bodies) > _MAX_BODIES:
            self._bodies.clear()  # updates PTB never queued: the inbox falls back to to_dict
        for body in bodies if isinstance(bodies, list) else [bodies]:
            if isinstance(body, dict) and isinstance(body.get("update_id"), int):
                self._bodies[body["update_id"]] = body
        if self._on_arrival is not None:
            self._on_arrival(bodies)

    async def take(self, update: Update) -> None:
        """An update enters the update queue: it is kept (with a webhook, written) first."""
        if self.webhook:
            # Telegram waits for the answer (and sends no more than its max_connections at
            # once), so a full backlog holds the request rather than memory.
            await self._room.wait()
        self._take(update)
        body = self._bodies.pop(update.update_id, None)
        if self.store is not None:
            self.store.keep(update, body)
            if self.webhook:
                await self.store.flush()

    def handled(self, update_id: int) -> None:
        """An update's handling ended: room for the next, and it leaves the inbox."""
        self.in_hand -= 1
        if self.in_hand < self.backlog:
            self._room.set()
        if self.store is not None:
            self.store.handled(update_id)
        if self._on_handled is not None:
            self._on_handled(update_id)

    async def before_get_updates(self) -> None:
        """Write what the last getUpdates brought before the next one confirms it; with the
        backlog full, fetch no more until there is room (Telegram keeps the rest)."""
        if self.store is not None:
            await self.store.flush()
        await self._room.wait()

    def _take(self, update: Update) -> None:
        self.in_hand += 1
        if self.in_hand >= self.backlog:
            self._room.clear()


class InboxQueue(asyncio.Queue[object]):
    """The Application's update queue: what enters it enters the inbox first."""

    def __init__(self, inbox: Inbox) -> None:
        super().__init__()
        self.inbox = inbox

    async def put(self, item: object) -> None:
        if isinstance(item, Update):
            await self.inbox.take(item)
        await super().put(item)


class InboxRequest(AiohttpRequest):
    """getUpdates' own connection: the inbox is written before each call (which confirms what
    the last one brought), and is handed each answer's updates as Telegram sent them."""

    __slots__ = ("_inbox",)

    def __init__(self, inbox: Inbox) -> None:
        super().__init__(connection_pool_size=1)
        self._inbox = inbox

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        await self._inbox.before_get_updates()
        return await super().do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )

    # The one place PTB hands over an answer parsed (its docs invite overriding this static
    # method; it is always called through self): parsing the body again here would cost as
    # much as PTB's own parse.
    def parse_json_payload(self, payload: bytes) -> dict[str, Any]:  # type: ignore[override]
        data = BaseRequest.parse_json_payload(payload)
        if data.get("ok"):
            self._inbox.received(data.get("result"))
        return data
