"""A cable's free preview as plain text, a paragraph a line, up to the paywall.

This text is what drafts quote: every draft's quote occurs in it verbatim. The subtitle, where
the post has one, is its first line (readers see it under the title, and it is a bottom-line
candidate); the preview's paragraphs follow. HTML is read by the teaser's reader
(`briefings/cables/teaser.py`), which already leaves out images, embeds, footnotes and the
paywall's box, and the post page's title and subtitle by `briefings/cables/page.py`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from briefings.cables.feed import entry_html, feed_entries, feed_item
from briefings.cables.page import MAX_PAGE_CHARS, read_page_meta
from briefings.cables.teaser import is_paywall_box, preview_blocks
from briefings.drafting.models import CableRef

# Where a Substack post page's text begins: the page's header and navigation come before.
_BODY_MARKERS = ('class="available-content"', 'class="body markup"')
_CANONICAL = re.compile(
    r"""<link\b[^<>]{0,300}?rel=["']canonical["'][^<>]{0,300}?href=["']([^"'<>]{1,500})["']""",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Preview:
    """The preview's text and what the post says of itself."""

    text: str
    title: str = ""
    subtitle: str | None = None
    url: str | None = None
    paid: bool = False


def preview_from_html(
    body: str, link: str | None = None, title: str = "", subtitle: str | None = None
) -> Preview:
    """A feed item's content or a post page, as its preview's text.

    A whole page (one with a <head>) gives its own title, subtitle and canonical address
    where the caller has none; its text is read from where the post's body begins.
    """
    body = body[:MAX_PAGE_CHARS]
    url = link
    if "<head" in body[:5000].lower():
        meta = read_page_meta(body)
        title = title or meta.title or ""
        subtitle = subtitle or meta.description
        found = _CANONICAL.search(body)
        url = url or (html.unescape(found.group(1)) if found else None)
        starts = [body.find(marker) for marker in _BODY_MARKERS]
        start = min((index for index in starts if index >= 0), default=-1)
        if start >= 0:
            body = body[body.rfind("<", 0, start) :]
    blocks, paid = preview_blocks(body, url)
    paragraphs = [_one_line(block.text) for block in blocks]
    paragraphs = [p for p in paragraphs if p]
    subtitle = _one_line(subtitle) if subtitle else None
    if subtitle and (not paragraphs or paragraphs[0] != subtitle):
        paragraphs.insert(0, subtitle)
    return Preview("\n".join(paragraphs), title=title, subtitle=subtitle, url=url, paid=paid)


def preview_from_text(text: str, title: str | None = None, subtitle: str | None = None) -> Preview:
    """A preview kept as text, a paragraph a line (the seed's shape: the title on the first
    line and the subtitle on the second, unless given), cut at the paywall's box."""
    lines = text.splitlines()
    paid = False
    for index, line in enumerate(lines):
        if is_paywall_box(line):
            lines, paid = lines[:index], True
            break
    kept = "\n".join(lines).rstrip()
    lines = kept.splitlines()
    if title is None and len(lines) > 2:
        title, subtitle = lines[0].strip(), subtitle or lines[1].strip()
    return Preview(kept, title=title or "", subtitle=subtitle, paid=paid)


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def feed_previews(body: bytes) -> list[tuple[CableRef, Preview]]:
    """Each item of an RSS or Atom feed as its cable and its preview's text.

    The feed is read as the bot reads it (`feed_entries`: its mending, its refusals, its
    HTML as the feed gives it), then each item's whole content is taken (the teaser the bot
    keeps is cut short).
    """
    previews = []
    for entry in feed_entries(body):
        item = feed_item(entry)
        if item is None:
            continue
        ref = CableRef(item.link, item.title, item.subtitle, item.published, item.paid)
        whole = entry_html(entry)
        previews.append((ref, preview_from_html(whole, item.link, item.title, item.subtitle)))
    return previews
