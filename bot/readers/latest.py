"""/latest: the newest cables, with their links and the free trial."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.context import BotContext
from bot.keyboards import TRIAL_BUTTON_TEXT

LATEST_COUNT = 5


async def latest(update: Update, context: BotContext) -> None:
    """List the newest cables from the feed, each with its link, and offer the free trial."""
    message = update.effective_message
    if message is None:
        return
    cables = await context.cables.latest(LATEST_COUNT, pushed_only=False)
    trial = context.keyboards.link(context.settings.trial_url, "latest")
    await message.reply_html(
        context.pages.render_page("latest", cables=cables),
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton(TRIAL_BUTTON_TEXT, url=trial)]]),
    )
