"""A post page's own title and description, for a cable the feed does not list."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

# Read no further into a page than this: the meta tags are in its head.
MAX_PAGE_CHARS = 500_000


@dataclass(frozen=True, slots=True)
class PageMeta:
    title: str | None
    description: str | None


def read_page_meta(page: str) -> PageMeta:
    """og:title / og:description (or <title> and description) of a post page."""
    parser = _MetaParser()
    parser.feed(page[:MAX_PAGE_CHARS])
    parser.close()
    title = (parser.title or parser.title_text).strip()[:300] or None
    return PageMeta(title, parser.description)


class _MetaParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title: str | None = None
        self.description: str | None = None
        self.title_text = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        key = attributes.get("property") or attributes.get("name")
        content = (attributes.get("content") or "").strip()
        if tag == "meta" and key == "og:title" and content:
            self.title = content
        elif tag == "meta" and key in ("og:description", "description") and content:
            self.description = self.description or content[:700]
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_text += data
