"""A per-user limit on commands, so one flooding user cannot eat the bot's sending budget.

Over the limit, the user gets one "slow down" reply, then silence until their rate drops.
"""

from __future__ import annotations

import logging
import time
from collections import deque

from telegram import Update
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.context import BotContext
from bot.settings import Settings

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60.0


class FloodGuard:
    def __init__(self, settings: Settings) -> None:
        self.limit = settings.user_commands_per_minute
        self.exempt = settings.admin_ids
        self._recent: dict[int, deque[float]] = {}
        self._warned: set[int] = set()

    def handler(self) -> TypeHandler[Update, BotContext, None]:
        return TypeHandler(Update, self.check)

    async def check(self, update: Update, context: BotContext) -> None:
        """Let the update through, or stop it (after one warning) if its user floods."""
        user = update.effective_user
        if user is None or user.id in self.exempt or not _is_request(update):
            return
        now = time.monotonic()
        recent = self._recent.setdefault(user.id, deque())
        while recent and now - recent[0] >= WINDOW_SECONDS:
            recent.popleft()
        if len(recent) < self.limit:
            recent.append(now)
            self._warned.discard(user.id)
            if len(self._recent) > 10_000:
                self._forget_idle(now)
            return
        if user.id not in self._warned:
            self._warned.add(user.id)
            log.warning("flood limit reached user_id=%s", user.id)
            message = update.effective_message
            if message is not None and update.callback_query is None:
                await message.reply_html(context.pages.render_page("slow_down"))
        raise ApplicationHandlerStop

    def _forget_idle(self, now: float) -> None:
        idle = [uid for uid, times in self._recent.items()
                if not times or now - times[-1] >= WINDOW_SECONDS]  # fmt: skip
        for uid in idle:
            del self._recent[uid]


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
