"""The limits of Telegram's HTML messages, measured the way Telegram measures them."""

from __future__ import annotations

import html
import re

# Bot API limits: message text and media captions, counted after entity parsing.
MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024

_TAG = re.compile(r"<[^>]*>")


def visible_text(telegram_html: str) -> str:
    """Return the text a reader sees: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", telegram_html))


def visible_length(telegram_html: str) -> int:
    """Length as Telegram counts it: UTF-16 code units of the visible text."""
    return len(visible_text(telegram_html).encode("utf-16-le")) // 2
