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


def split_message(telegram_html: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """Split at blank lines into messages each within limit.

    Templates that may run long keep every tag within one block, so each part stays valid.
    A single block over the limit is split at line ends.
    """
    parts: list[str] = []
    current = ""
    for block in _blocks(telegram_html, limit):
        candidate = f"{current}\n\n{block}" if current else block
        if current and visible_length(candidate) > limit:
            parts.append(current)
            candidate = block
        current = candidate
    if current:
        parts.append(current)
    return parts


def _blocks(telegram_html: str, limit: int) -> list[str]:
    blocks = []
    for block in telegram_html.split("\n\n"):
        if visible_length(block) <= limit:
            blocks.append(block)
        else:
            blocks.extend(line for line in block.split("\n") if line)
    return blocks
