"""Process updates from different chats side by side, and each chat's in the order sent.

PTB's default handles one update at a time, so every reply waits for the one before it to
reach Telegram and come back: with a real network in between, that caps the whole bot at a
few dozen replies a second however idle the CPU. PTB's own concurrency keeps no order at all,
which a guided /add conversation, an editor's /set then /undo, or a flood counter needs. So:
one queue per chat (or per user, where an update has no chat), many chats at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# Updates handled at once across all chats. Above a few dozen the bot's CPU, not Telegram's
# round trips, is what limits it.
MAX_CONCURRENT_UPDATES = 64
# PTB takes a slot of its own semaphore before we know an update's chat, so its bound is set
# far above ours: an update waiting for its chat's turn must not hold one of the running slots.
# What bounds the updates in hand is the update queue's backlog (bot/plumbing/inbox.py), which
# stops fetching when full; this only has to be at least that.
_PTB_SLOTS = 1_000_000


def order_key(update: object) -> int | None:
    """The chat an update belongs to (else its user); None for updates that need no order.

    Inline queries need none: answering one changes nothing, and one typed while the user's
    private chat is busy must not wait for it (Telegram gives up on slow answers).
    """
    if not isinstance(update, Update) or update.inline_query is not None:
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Each chat's updates one after another; different chats' concurrently."""

    __slots__ = ("_queues", "_running", "on_done")

    def __init__(
        self,
        max_concurrent_updates: int = MAX_CONCURRENT_UPDATES,
        on_done: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__(_PTB_SLOTS)
        self._running = asyncio.Semaphore(max_concurrent_updates)
        # A lock per chat with work in hand, and how many updates hold or await it; dropped
        # when the last is done, so quiet chats cost nothing.
        self._queues: dict[int, tuple[asyncio.Lock, int]] = {}
        # Told each update's id once it is handled (the inbox, bot/plumbing/inbox.py).
        self.on_done = on_done

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await self._in_order(update, coroutine)
        # Handled (an error handled counts): it leaves the inbox. One cancelled by a shutdown
        # stays, to be handled at the next start.
        if self.on_done is not None and isinstance(update, Update):
            self.on_done(update.update_id)

    async def _in_order(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = order_key(update)
        if key is None:
            async with self._running:
                await coroutine
            return
        lock, users = self._queues.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._queues[key] = (lock, users + 1)
        try:
            # asyncio.Lock is fair: waiters get it in the order they came. The running slot is
            # taken only once it is this update's turn in its chat.
            async with lock, self._running:
                await coroutine
        finally:
            lock, users = self._queues[key]
            if users == 1:
                del self._queues[key]
            else:
                self._queues[key] = (lock, users - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down: the Application waits for updates in hand."""
