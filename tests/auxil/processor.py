"""The bot's update processor, with a wait the tests need and the product does not."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from bot.plumbing.update_order import MAX_CONCURRENT_UPDATES, PerChatUpdateProcessor


class ObservedProcessor(PerChatUpdateProcessor):
    """PerChatUpdateProcessor that knows when no update is in hand (RunningBot.settled):
    the fake Bot API sees replies, not the end of a handler that sends nothing more."""

    __slots__ = ("_idle", "_in_hand")

    def __init__(
        self,
        max_concurrent_updates: int = MAX_CONCURRENT_UPDATES,
        on_done: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__(max_concurrent_updates, on_done)
        self._in_hand = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def wait_idle(self) -> None:
        """Return once no update is being processed (or waiting for its chat's turn)."""
        await self._idle.wait()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        self._in_hand += 1
        self._idle.clear()
        try:
            await super().do_process_update(update, coroutine)
        finally:
            self._in_hand -= 1
            if self._in_hand == 0:
                self._idle.set()
