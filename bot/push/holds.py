"""Deliveries held for the editors, and telling them so.

A cable's push that Telegram refuses, or would refuse, for what it says: every subscriber
would get the same refusal, so the cable's delivery is held (its rows parked in the outbox)
at the first one, or before queuing when a check finds the problem; the editors are told
once, and /publish resends once they have fixed it.

A burst, more new cables in one poll than a poll may push (bot/push/bursts.py): the editors
are asked once, with the list and a button, whether to push them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import TelegramError

from bot.push.bursts import BURST_PREFIX, DROP, PUSH, Burst
from bot.push.messages import Push
from bot.push.subscribers import SubscriberStore
from briefings.cables.store import CableStore
from briefings.rendering.renderer import Pages
from briefings.rendering.shorten import shorten
from briefings.rendering.telegram_html import (
    MAX_MESSAGE_LENGTH,
    button_url_problem,
    visible_length,
)

log = logging.getLogger(__name__)

# A title in a burst's list is cut to this: a feed's title can be a megabyte.
BURST_TITLE_CHARS = 120

# Told of each cable whose delivery is held, with the reason.
OnHold = Callable[[str, str], Awaitable[None]]


def push_problem(push: Push) -> str | None:
    """What Telegram would refuse in a push (a button's link, the length), or None."""
    if visible_length(push.text) > MAX_MESSAGE_LENGTH:
        return f"the message is longer than Telegram's {MAX_MESSAGE_LENGTH:,} characters"
    for row in push.markup.inline_keyboard:
        for button in row:
            problem = button.url is not None and button_url_problem(button.url)
            if problem:
                return f"the “{button.text}” button: {problem}"
    return None


class HoldNotices:
    """Tells every editor, once per hold, that a cable's delivery stopped and why; asks them,
    once per burst, whether to push its cables."""

    def __init__(
        self,
        bot: Bot,
        pages: Pages,
        cables: CableStore,
        editors: Iterable[int],
        *,
        subscribers: SubscriberStore | None = None,
        at_once: int | None = None,
    ) -> None:
        self.bot = bot
        self.pages = pages
        self.cables = cables
        self.editors = sorted(editors)
        self.subscribers = subscribers
        self.at_once = at_once

    async def tell(self, cable_id: str, reason: str) -> None:
        cable = await self.cables.get(cable_id)
        if cable is None:
            return
        text = self.pages.render_page("editor_held", cable=cable, reason=reason)
        await self._to_editors(text, None, "the held cable")

    async def ask(self, burst: Burst) -> None:
        """Ask whether to push a burst's cables: their titles, newest first, as many as one
        message holds, and a button each way."""
        cables = [cable for cable_id in reversed(burst.cable_ids)
                  if (cable := await self.cables.get(cable_id)) is not None]  # fmt: skip
        count = len(cables)
        subscribers = await self.subscribers.count_active() if self.subscribers else None

        items = [{"title": shorten(cable.title, BURST_TITLE_CHARS),
                  "published": cable.published} for cable in cables]  # fmt: skip

        def render(shown: int) -> str:
            return self.pages.render_page(
                "editor_burst", items=items[:shown], hidden=count - shown, count=count,
                at_once=self.at_once, subscribers=subscribers,
            )  # fmt: skip

        shown, text = count, render(count)
        while visible_length(text) > MAX_MESSAGE_LENGTH and shown > 0:
            shown = min(shown - 1, shown * MAX_MESSAGE_LENGTH // visible_length(text))
            text = render(shown)
        markup = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(f"📨 Push these {count}",
                                      callback_data=f"{BURST_PREFIX}{PUSH}:{burst.id}")],
                [InlineKeyboardButton("Don't push",
                                      callback_data=f"{BURST_PREFIX}{DROP}:{burst.id}")],
            ]
        )  # fmt: skip
        if not self.editors:
            log.warning("burst id=%d held: no editors (ADMIN_IDS) to ask", burst.id)
        await self._to_editors(text, markup, "the held burst")

    async def _to_editors(self, text: str, markup: InlineKeyboardMarkup | None, what: str) -> None:
        for editor_id in self.editors:
            try:
                await self.bot.send_message(editor_id, text, reply_markup=markup)
            except TelegramError as exc:
                log.warning("could not tell editor %s of %s: %s", editor_id, what, exc)
