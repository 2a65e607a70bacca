"""A post page's own title and description, for a cable the feed does not list.

Read with bounded regular expressions in one pass, not an HTML parser: the meta tags are
all the page is read for, and an HTML parser took 80 s on 100 KB of unclosed "<a " (it
rescans an unfinished tag from every "<"). Every pattern below is bounded, so the time is
linear in the page.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

# Read no further into a page than this: the meta tags are in its head.
MAX_PAGE_CHARS = 500_000

# A quoted value may hold "<" or ">" (browsers read them so): the tag ends at a ">" outside
# quotes. Bounded, as everything here.
_META = re.compile(
    r"""<meta\b((?:[^<>"']|"[^"]{0,1000}"|'[^']{0,1000}'){0,400})>""", re.IGNORECASE
)
_ATTRIBUTE = re.compile(
    r"""([a-z:_-]{1,40})\s*=\s*("[^"]{0,1000}"|'[^']{0,1000}'|[^\s"'>]{1,1000})""", re.IGNORECASE
)
_TITLE = re.compile(r"<title\b[^<>]{0,200}>([^<]{0,1000})</title\s*>", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class PageMeta:
    title: str | None
    description: str | None


def read_page_meta(page: str) -> PageMeta:
    """og:title / og:description (or <title> and description) of a post page."""
    page = page[:MAX_PAGE_CHARS]
    head_end = page.lower().find("</head")
    if head_end != -1:
        page = page[:head_end]
    title = description = fallback_description = None
    for tag in _META.finditer(page):
        attributes = {
            name.lower(): html.unescape(value.strip("\"'"))
            for name, value in _ATTRIBUTE.findall(tag.group(1))
        }
        key = (attributes.get("property") or attributes.get("name") or "").lower()
        content = _one_line(attributes.get("content") or "")
        if not content:
            continue
        if key == "og:title" and title is None:
            title = content[:300]
        elif key == "og:description" and description is None:
            description = content[:700]
        elif key == "description" and fallback_description is None:
            fallback_description = content[:700]
    if title is None:
        found = _TITLE.search(page)
        title = _one_line(html.unescape(found.group(1)))[:300] if found else None
    return PageMeta(title or None, description or fallback_description)


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
