"""The floor: a bare python-telegram-bot bot that echoes every message, nothing more.

`--aiohttp` gives it the bot's own HTTP client (bot/plumbing/telegram_http.py), to tell how
much of a difference between the two bots is the client and how much is the bot's own work.
"""

import sys

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.plumbing.telegram_http import with_aiohttp


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with the message's own text."""
    if update.effective_message is not None and update.effective_message.text:
        await update.effective_message.reply_text(update.effective_message.text)


def main() -> None:
    token, base_url, *options = sys.argv[1:]
    builder = Application.builder().token(token).base_url(base_url)
    if "--aiohttp" in options:
        builder = with_aiohttp(builder)
    app = builder.build()
    app.add_handler(MessageHandler(filters.ALL, echo))
    app.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
