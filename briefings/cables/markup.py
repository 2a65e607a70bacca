"""HTML read into tags and text as a browser reads it, in one pass: linear in the input.

html.parser rescans an unfinished tag from every "<" when the input ends (10 s for 30 KB of
unclosed "<a "), and the feed parser's sanitiser turns 400 KB of them into 140,000 links.
Here every pattern is possessive, so a tag that never ends is read once, to the end, and
dropped as a browser drops it. Raw text elements (script, style, iframe, ...) are skipped to
their end tag: a browser never shows what is inside ("Your browser does not support
iframes."). Comments and <!...> are skipped; a "<" that starts no tag is text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

# A start or end tag: its name, then attributes up to ">", a quoted value only after "=".
_TAG = re.compile(
    r"""<(/?)([A-Za-z][^\t\n\f\r />]*+)"""
    r"""((?>[^>"'=]++|=[\t\n\f\r ]*+(?>"[^"]*+"|'[^']*+')?|["'])*+)>"""
)
_ATTRIBUTE = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?""")
_MAY_OPEN = re.compile(r"<[A-Za-z!?/]")
# Elements whose content is never markup, and never shown as text where they are supported.
_RAW = {"script", "style", "iframe", "noscript", "noembed", "noframes", "xmp", "textarea", "title"}


@dataclass(frozen=True, slots=True)
class Tag:
    name: str  # lower case
    closing: bool
    attrs: dict[str, str]


Token = Tag | str  # a tag, or text with its character references decoded


def tokens(markup: str) -> Iterator[Token]:
    """The tags and text of markup, in order, as a browser's tokenizer finds them."""
    position, end = 0, len(markup)
    while position < end:
        start = markup.find("<", position)
        if start < 0:
            yield html.unescape(markup[position:])
            return
        if start > position:
            yield html.unescape(markup[position:start])
        following = markup[start + 1 : start + 2]
        tag = _TAG.match(markup, start)
        if tag is not None:
            name = tag.group(2).lower()
            closing = bool(tag.group(1))
            yield Tag(name, closing, {} if closing else _attributes(tag.group(3)))
            position = tag.end()
            if name in _RAW and not closing and not tag.group(3).rstrip().endswith("/"):
                found = re.compile(rf"</{re.escape(name)}\b", re.I).search(markup, position)
                if found is None:
                    return  # an element never closed: nothing more of the page is shown
                position = found.start()
        elif following.isalpha() or (following == "/" and markup[start + 2 : start + 3].isalpha()):
            return  # a tag that never ends: a browser drops it, and all after it with it
        elif markup.startswith("<!--", start):
            close = markup.find("-->", start + 4)
            if close < 0:
                return
            position = close + 3
        elif following in ("!", "?", "/"):
            close = markup.find(">", start)
            if close < 0:
                return
            position = close + 1
        else:  # text up to the next "<" that may open something: "<<<<" is one step
            found = _MAY_OPEN.search(markup, start + 1)
            position = found.start() if found else end
            yield html.unescape(markup[start:position])


def _attributes(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(text):
        name = match.group(1).lower()
        value = next((g for g in match.groups()[1:] if g is not None), "")
        found.setdefault(name, html.unescape(value))
    return found
