"""/forget for any reader: what the bot keeps about them, erased."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import Forbidden

from bot.context import BotContext

log = logging.getLogger(__name__)


async def forget(update: Update, context: BotContext) -> None:
    """Erase what the bot keeps about this user: their private chat's subscription and daily
    briefing, the days they were seen, and the version of each situation they last read. What
    was erased is the user's business: sent in a group, the list goes to their private chat
    (left out when the bot cannot write there), and the group gets one neutral line, with a
    word that the group's own subscription stays."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    subscribed = await context.subscribers.forget(user.id)
    days = await context.stats.forget(user.id)
    versions = await context.services.last_seen.forget(user.id)
    log.info("forgot a user (subscription=%s, days=%d, versions=%d)", subscribed, days, versions)
    erased = context.pages.render_page(
        "forget", subscription=subscribed, days=days, versions=versions, group=False
    )
    if message.chat.type == ChatType.PRIVATE:
        await message.reply_html(erased)
        return
    try:
        await context.bot.send_message(user.id, erased)
        told = True
    except Forbidden:  # never started the bot, or blocked it: the list is left out
        told = False
    here = await context.subscribers.get(message.chat.id)
    text = context.pages.render_page(
        "forget", group=True, told=told, group_subscribed=here is not None and here.subscribed
    )
    await message.reply_html(text)
