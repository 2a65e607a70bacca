"""A per-user limit on commands, so one flooding user cannot eat the bot's sending budget.

Over the limit, the user gets one "slow down" reply, then silence until their rate drops (a
button tap is still answered, as every tap must be: the first with the same words).

The cost per update is constant however many readers there are: each reader's recent times
are a deque, and readers are kept in the order of their last counted request, so those idle
for a whole window are forgotten from the front, a few at each update, without a scan.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Collection
from enum import Enum
from typing import Any

from telegram import Update
from telegram.ext import ApplicationHandlerStop, CallbackContext, TypeHandler

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60.0
# Idle readers forgotten at most this many per update: each update adds at most one reader,
# so the few forgotten each time keep up, and no update pays for a crowd leaving at once.
FORGET_PER_UPDATE = 4


class Verdict(Enum):
    ALLOW = "allow"
    WARN = "warn"  # over the limit, told once
    STOP = "stop"  # over the limit, told already


class FloodGuard:
    def __init__(
        self, limit: int, exempt: Collection[int], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit  # commands a minute per user
        self.exempt = exempt  # users never limited (the editors)
        self.clock = clock
        # Each reader's counted requests within the window, the reader counted longest ago first.
        self._recent: OrderedDict[int, deque[float]] = OrderedDict()
        self._warned: set[int] = set()

    def handler(self, slow_down: Callable[[], str]) -> TypeHandler[Update, Any, None]:
        """The guard as a handler; slow_down() gives the words of its one warning."""

        async def check(update: Update, _: CallbackContext[Any, Any, Any, Any]) -> None:
            await self.check(update, slow_down)

        return TypeHandler(Update, check)

    async def check(self, update: Update, slow_down: Callable[[], str]) -> None:
        """Let the update through, or stop it (after one warning) if its user floods."""
        user = update.effective_user
        if user is None or user.id in self.exempt or not _is_request(update):
            return
        verdict = self.judge(user.id)
        if verdict is Verdict.ALLOW:
            return
        query = update.callback_query
        text = slow_down() if verdict is Verdict.WARN else None
        if verdict is Verdict.WARN:
            log.warning("flood limit reached user_id=%s", user.id)
        if query is not None:
            await query.answer(text)
        elif text is not None and update.effective_message is not None:
            await update.effective_message.reply_html(text)
        raise ApplicationHandlerStop

    def judge(self, user_id: int) -> Verdict:
        """Count a request of user_id, if within the limit; say what becomes of it."""
        now = self.clock()
        recent = self._recent.get(user_id)
        if recent is None:
            recent = self._recent[user_id] = deque()
        while recent and now - recent[0] >= WINDOW_SECONDS:
            recent.popleft()
        if len(recent) >= self.limit:
            if user_id in self._warned:
                return Verdict.STOP
            self._warned.add(user_id)
            return Verdict.WARN
        recent.append(now)
        self._recent.move_to_end(user_id)
        self._warned.discard(user_id)
        self._forget_idle(now)
        return Verdict.ALLOW

    def _forget_idle(self, now: float) -> None:
        """Forget, from the front, a few readers whose last counted request left the window:
        they are as if never seen."""
        for _ in range(FORGET_PER_UPDATE):
            oldest = next(iter(self._recent.items()), None)
            if oldest is None:
                return
            user_id, times = oldest
            if times and now - times[-1] < WINDOW_SECONDS:
                return
            del self._recent[user_id]
            self._warned.discard(user_id)

    @property
    def readers(self) -> int:
        """How many readers the guard keeps times for."""
        return len(self._recent)


def _is_request(update: Update) -> bool:
    """What the bot answers: messages in private chats, commands, button taps.

    Inline queries are not counted: Telegram sends one per keystroke of "@bot forces", their
    answers come from the render cache, and Telegram caches them for everyone
    (bot/readers/inline.py).
    """
    if update.callback_query is not None:
        return True
    message = update.message
    if message is None or message.text is None:
        return False
    return message.text.startswith("/") or message.chat.type == "private"
