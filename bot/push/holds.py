"""A cable's push that Telegram refuses, or would refuse, for what it says.

Every subscriber would get the same refusal, so the cable's delivery is held (its rows
parked in the outbox) at the first one, or before queuing when a check finds the problem;
the editors are told once, and /publish resends once they have fixed it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable

from telegram import Bot
from telegram.error import TelegramError

from bot.push.messages import Push
from briefings.cables.store import CableStore
from briefings.rendering.renderer import Pages
from briefings.rendering.telegram_html import (
    MAX_MESSAGE_LENGTH,
    button_url_problem,
    visible_length,
)

log = logging.getLogger(__name__)

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
    """Tells every editor, once per hold, that a cable's delivery stopped and why."""

    def __init__(self, bot: Bot, pages: Pages, cables: CableStore, editors: Iterable[int]):
        self.bot = bot
        self.pages = pages
        self.cables = cables
        self.editors = sorted(editors)

    async def tell(self, cable_id: str, reason: str) -> None:
        cable = await self.cables.get(cable_id)
        if cable is None:
            return
        text = self.pages.render_page("editor_held", cable=cable, reason=reason)
        for editor_id in self.editors:
            try:
                await self.bot.send_message(editor_id, text)
            except TelegramError as exc:
                log.warning("could not tell editor %s of the held cable: %s", editor_id, exc)
