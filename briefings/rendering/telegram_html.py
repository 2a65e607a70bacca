"""The limits of Telegram's HTML messages, measured the way Telegram measures them."""

from __future__ import annotations

import html
import re

# Bot API limits: message text and media captions, counted after entity parsing.
MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
# Formatting entities (bold, italics, links ...) Telegram takes in one message.
MAX_ENTITIES = 100

_TAG = re.compile(r"<[^>]*>")
_OPENING_TAG = re.compile(r"<[A-Za-z]")
_URL = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<host>[^/?#:\s]*)(?::(?P<port>[^/?#]*))?"
)


def button_url_problem(url: str) -> str | None:
    """Why Telegram would refuse url on a button (BUTTON_URL_INVALID), or None.

    What it is known to refuse: a scheme other than http, https or tg; whitespace or
    control characters; an empty host or one without a dot ("localhost", an intranet name);
    a port that is not a number.
    """
    if len(url) > 2048:
        return "the link is longer than 2,048 characters"
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return "the link has spaces or control characters in it"
    match = _URL.match(url)
    if match is None or match["scheme"].lower() not in ("http", "https", "tg"):
        return f"the link {url[:200]!r} is not an http(s) address"
    if match["scheme"].lower() == "tg":
        return None
    host, port = match["host"], match["port"]
    if "." not in host.strip(".") or host.startswith(".") or ".." in host:
        return f"the link's host {host[:100]!r} is not a public domain name (Telegram refuses it)"
    if port is not None and not (port.isdigit() and 0 < int(port) < 65_536):
        return f"the link's port {port[:20]!r} is not a port number"
    return None


def visible_text(telegram_html: str) -> str:
    """Return the text a reader sees: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", telegram_html))


def entity_count(telegram_html: str) -> int:
    """The formatting entities telegram_html makes: one per opening tag."""
    return len(_OPENING_TAG.findall(telegram_html))


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
