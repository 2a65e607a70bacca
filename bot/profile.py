"""What Telegram shows before a reader presses Start: the bot's description ("What can this
bot do?") and its short description (its profile, and links to it), from templates.

Set at start-up only when they differ from what Telegram has, so a restart costs no call.
"""

from __future__ import annotations

import html
import logging

from telegram import Bot
from telegram.error import TelegramError

from briefings.rendering.renderer import Pages
from briefings.rendering.shorten import shorten
from briefings.situations import Situation

log = logging.getLogger(__name__)

# The Bot API's limits for each.
MAX_DESCRIPTION = 512
MAX_SHORT_DESCRIPTION = 120


def profile_texts(pages: Pages, situation: Situation) -> tuple[str, str]:
    """The description and short description, as plain text (Telegram shows no markup)."""
    description = html.unescape(pages.render_page("about_description", situation=situation))
    short = html.unescape(pages.render_page("about_short", situation=situation))
    return shorten(description, MAX_DESCRIPTION), shorten(short, MAX_SHORT_DESCRIPTION)


async def set_profile(bot: Bot, pages: Pages, situation: Situation) -> int:
    """Give the bot its description and short description where Telegram's differ; return
    how many were set."""
    description, short = profile_texts(pages, situation)
    changed = 0
    try:
        if (await bot.get_my_description()).description != description:
            await bot.set_my_description(description)
            changed += 1
        if (await bot.get_my_short_description()).short_description != short:
            await bot.set_my_short_description(short)
            changed += 1
    except TelegramError as exc:
        log.warning("bot description not set (tried again at the next start): %s", exc)
    return changed
