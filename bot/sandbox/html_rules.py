"""What Telegram's HTML parser and keyboards would refuse, so the local Bot API refuses it too."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from briefings.rendering.telegram_html import MAX_MESSAGE_LENGTH, visible_length

# Tags of the Bot API's HTML parse mode and the attributes each may carry.
ALLOWED_TAGS: dict[str, set[str]] = {
    "b": set(), "strong": set(), "i": set(), "em": set(), "u": set(), "ins": set(),
    "s": set(), "strike": set(), "del": set(), "tg-spoiler": set(), "span": {"class"},
    "a": {"href"}, "code": {"class"}, "pre": set(), "blockquote": {"expandable"},
    "tg-emoji": {"emoji-id"},
}  # fmt: skip
_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*)\s*>"
)
_ATTR = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+)))?")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});")
_SPECIAL = re.compile(r"[<>&]")
_URL = re.compile(r"(https?|tg|mailto)://?\S+|mailto:\S+")


class HtmlRejected(ValueError):
    """Telegram would answer 400 Bad Request with this description."""


def check_html(text: str, limit: int = MAX_MESSAGE_LENGTH) -> None:
    """Raise HtmlRejected where Telegram would refuse text in parse_mode HTML."""
    stack: list[str] = []
    position = 0
    # Only <, > and & matter to the parser: jump from one to the next.
    for special in _SPECIAL.finditer(text):
        i = special.start()
        if i < position:
            continue  # inside a tag or entity already read
        if text[i] == "<":
            tag = _TAG.match(text, i)
            if tag is None:
                raise HtmlRejected(f"can't parse entities: unexpected '<' at byte offset {i}")
            closing, name, attrs = tag.group(1), tag.group(2).lower(), tag.group(3)
            if name not in ALLOWED_TAGS:
                raise HtmlRejected(f'can\'t parse entities: unsupported start tag "{name}"')
            if closing:
                if not stack or stack[-1] != name:
                    raise HtmlRejected(f'can\'t parse entities: unmatched end tag "{name}"')
                stack.pop()
            else:
                _check_attributes(name, attrs)
                stack.append(name)
            position = tag.end()
        elif text[i] == "&":
            entity = _ENTITY.match(text, i)
            if entity is None:
                raise HtmlRejected(f"can't parse entities: bare '&' at offset {i}")
            position = entity.end()
        else:
            raise HtmlRejected(f"can't parse entities: bare '>' at offset {i}")
    if stack:
        raise HtmlRejected(
            f"can't parse entities: can't find end tag corresponding to \"{stack[-1]}\""
        )
    length = visible_length(text)
    if length == 0 or not text.strip():
        raise HtmlRejected("message text is empty")
    if length > limit:
        raise HtmlRejected("message is too long")


def _check_attributes(name: str, attrs: str) -> None:
    found = {
        m.group(1).lower(): next((g for g in m.groups()[1:] if g is not None), "")
        for m in _ATTR.finditer(attrs)
    }
    unknown = set(found) - ALLOWED_TAGS[name]
    if unknown:
        raise HtmlRejected(f"can't parse entities: unsupported attribute {sorted(unknown)[0]}")
    if name == "a" and not _URL.fullmatch(found.get("href", "")):
        raise HtmlRejected("can't parse entities: a link needs a valid href")
    if name == "span" and found.get("class") != "tg-spoiler":
        raise HtmlRejected('can\'t parse entities: span needs class="tg-spoiler"')


def check_reply_markup(
    markup: object, refused_hosts: frozenset[str] = frozenset(), *, editing: bool = False
) -> None:
    """Raise HtmlRejected (as Telegram's 400) for a malformed inline keyboard, or for a
    button linking to one of refused_hosts (hosts Telegram rejects, as it does some).

    A keyboard without a button is refused with a new message, as Telegram does; an edit may
    send one, to take the buttons away."""
    if markup is None:
        return
    if not isinstance(markup, dict) or not isinstance(markup.get("inline_keyboard"), list):
        raise HtmlRejected("can't parse reply keyboard markup JSON object")
    rows = markup["inline_keyboard"]
    if not editing and not any(isinstance(row, list) and row for row in rows):
        raise HtmlRejected("can't parse reply keyboard markup JSON object")
    kinds = {"url", "callback_data", "switch_inline_query", "switch_inline_query_current_chat",
             "switch_inline_query_chosen_chat", "login_url", "web_app", "callback_game", "pay",
             "copy_text"}  # fmt: skip
    for row in rows:
        if not isinstance(row, list):
            raise HtmlRejected(
                'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
            )
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise HtmlRejected("BUTTON_TEXT_EMPTY")
            chosen = kinds & set(button)
            if len(chosen) != 1:
                raise HtmlRejected('can\'t find field "url" or "callback_data" in the button')
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode()) <= 64:
                    raise HtmlRejected("BUTTON_DATA_INVALID")
            if "url" in button:
                _check_button_url(str(button["url"]), refused_hosts)


def _check_button_url(url: str, refused_hosts: frozenset[str]) -> None:
    # As Telegram answers: a URL that is not http(s)/tg, and a host without a dot
    # ("localhost", an intranet name), are BUTTON_URL_INVALID.
    if not re.fullmatch(r"(https?|tg)://\S+", url):
        raise HtmlRejected("inline keyboard button URL is invalid")
    parts = urlsplit(url)
    if parts.scheme != "tg" and "." not in (parts.hostname or ""):
        raise HtmlRejected("BUTTON_URL_INVALID")
    if (parts.hostname or "") in refused_hosts:
        raise HtmlRejected("BUTTON_URL_INVALID")
