"""Read a newsletter's RSS or Atom feed (with feedparser) into cables with teasers."""

from __future__ import annotations

import hashlib
import re
import time
import xml.sax
from dataclasses import dataclass
from urllib.parse import urlparse, urlsplit

import feedparser

from briefings.cables.readable import repeats
from briefings.cables.teaser import make_teaser, read_blocks
from briefings.rendering.shorten import shorten

# A title and a subtitle are lines: longer ones are cut where the cable is made, so that no
# list, push or briefing that names it meets Telegram's limit (a whole post given as a
# description, a hostile feed's megabyte of title).
MAX_TITLE = 300
MAX_SUBTITLE = 300


class FeedError(ValueError):
    """The body is not a feed we can use; nothing from it may be pushed."""


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One post of the feed, ready to store as a cable."""

    guid: str
    link: str
    title: str
    subtitle: str | None
    published: str | None
    teaser_html: str
    paid: bool

    def __post_init__(self) -> None:
        # Frozen: the cut values are set once, here, for every way a cable is read.
        object.__setattr__(self, "title", shorten(self.title, MAX_TITLE))
        if self.subtitle is not None:
            object.__setattr__(self, "subtitle", shorten(self.subtitle, MAX_SUBTITLE))

    @property
    def slug(self) -> str:
        return slug_of(self.link or self.guid)


def parse_feed(body: bytes) -> list[FeedItem]:
    """Parse a feed body; raise FeedError for garbage, an HTML page or an empty document."""
    return [item for entry in feed_entries(body) if (item := feed_item(entry)) is not None]


def feed_entries(body: bytes) -> list[feedparser.FeedParserDict]:
    """The entries of a feed body, as feedparser reads them (mended where a common slip
    broke the document); FeedError for garbage, an HTML page or an empty document."""
    parsed = _parse(body)
    if _broken(parsed):
        # Two common slips break a whole document, though nothing of it is missing: text
        # before "<?xml" (a newline, a BOM) and a bare "&". Mend those two, read it again.
        parsed = _parse(_mended(body))
    if not parsed.get("version"):
        reason = parsed.get("bozo_exception") or "no RSS or Atom document"
        raise FeedError(f"not a feed: {str(reason)[:200]}")
    if _broken(parsed):
        # A cut-off or broken document: its last items may be half there. Try again later.
        raise FeedError(f"malformed feed: {str(parsed['bozo_exception'])[:200]}")
    return list(parsed.entries)


def _parse(body: bytes) -> feedparser.FeedParserDict:
    # Items' HTML as the feed gives it, read by the teaser as a page shows it: feedparser's
    # sanitiser leaves an iframe's fallback as text, turns 400 KB of unfinished "<a " into
    # 140,000 links, and (with its relative-link pass) takes seconds on hostile markup.
    return feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)


def _broken(parsed: feedparser.FeedParserDict) -> bool:
    error = parsed.get("bozo_exception")
    return bool(parsed.get("bozo")) and isinstance(error, xml.sax.SAXParseException)


_BARE_AMPERSAND = re.compile(rb"&(?!#\d{1,7};|#x[0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)")


_CDATA = re.compile(rb"(<!\[CDATA\[.*?\]\]>)", re.DOTALL)


def _mended(body: bytes) -> bytes:
    start = body.find(b"<?xml")
    if 0 < start < 1024 and not body[:start].strip(b" \t\r\n\xef\xbb\xbf"):
        body = body[start:]
    # Outside CDATA sections only: inside them a bare "&" is the text itself.
    parts = _CDATA.split(body)
    return b"".join(
        part if index % 2 else _BARE_AMPERSAND.sub(b"&amp;", part)
        for index, part in enumerate(parts)
    )


def entry_html(entry: feedparser.FeedParserDict) -> str:
    """An entry's HTML, whole: its content, or its summary where it has none."""
    content = entry.get("content") or []
    return str(content[0].get("value", "") if content else entry.get("summary", ""))


def feed_item(entry: feedparser.FeedParserDict) -> FeedItem | None:
    """The entry as a cable; None for one without identity, address or title."""
    link = (entry.get("link") or "").strip()
    guid = (entry.get("id") or link).strip()
    title = entry.get("title") or ""
    if (entry.get("title_detail") or {}).get("type") in ("text/html", "application/xhtml+xml"):
        title = _plain(title)  # an HTML title's text: "That’s 1930ft2", not its markup
    title = re.sub(r"\s+", " ", title).strip()
    if not guid or not link.startswith(("http://", "https://")) or not title:
        return None  # unusable: no identity, no address to read it at, or no title
    subtitle = re.sub(r"\s+", " ", _plain(entry.get("summary") or "")).strip() or None
    teaser = make_teaser(entry_html(entry), link)
    if subtitle and repeats(subtitle, teaser.html):
        # Feeds without content:encoded, and Substack's posts without a subtitle, give the
        # opening paragraph (or the whole post) as the description: the teaser has it.
        subtitle = None
    published = entry.get("published_parsed") or entry.get("updated_parsed")
    return FeedItem(
        guid=guid,
        link=link,
        title=title,
        subtitle=subtitle,
        published=time.strftime("%Y-%m-%d", published) if published else None,
        teaser_html=teaser.html,
        paid=teaser.paid,
    )


def _plain(text: str) -> str:
    return " ".join(block.text for block in read_blocks(text))


def canonical_url(url: str) -> str:
    """One address per post, whatever link was shared: https, the host without "www.", the
    path without a trailing slash, and no query or fragment (Substack's Share button adds
    "?r=2abc&utm_campaign=post"; feeds and pages link the bare "/p/<slug>")."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = parts.path.rstrip("/") or "/"
    return f"https://{host}{path}" if host else url.strip()


def slug_of(url: str) -> str:
    """The post's slug: Substack's /p/<slug>, else the last path segment, else a hash."""
    path = urlparse(url).path.rstrip("/")
    segment = path.rsplit("/", 1)[-1] if path else ""
    slug = re.sub(r"[^a-z0-9-]+", "-", segment.lower()).strip("-")[:60]
    return slug or "cable-" + hashlib.sha1(url.encode()).hexdigest()[:10]
