"""The tests' Bot API: the package's local one (bot/sandbox/bot_api.py), with its controls
for faults, holds, blocked and migrated chats, and Telegram's limits."""

from __future__ import annotations

from bot.sandbox.bot_api import (
    BOT_ID,
    BOT_USERNAME,
    PNG_SIGNATURE,
    SEND_METHODS,
    TOKEN,
    Call,
    LocalBotApi,
    png_size,
)

FakeTelegram = LocalBotApi

__all__ = [
    "BOT_ID", "BOT_USERNAME", "PNG_SIGNATURE", "SEND_METHODS", "TOKEN", "Call", "FakeTelegram",
    "png_size",
]  # fmt: skip
