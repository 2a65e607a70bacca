"""`cables-bot render feed <url-or-file>... [--json] [--all-new]`: the push the bot would
send for each item of a feed, before it sends it.

Each item goes the bot's own way: the feed is parsed as a poll parses it (`parse_feed`), each
item stored as a new cable in a throwaway database (`CableStore.insert`, so an item with the
seeded cable's title is that cable), and its push composed (`cable_push`) and checked
(`push_problem`) as the publisher does before queuing it. Nothing is sent; the bot's own
database is never opened. Each item is taken as the one new cable of a poll, unless
--all-new: then a source's items are new together, as when a feed changes wholesale, and more
than NEW_CABLES_PER_POLL of them are held for an editor's tap.

The readable form, a block per item:

    == <feed> · <link>
    <the push's text as a reader reads it: links as "text <url>">
    [Read the cable] <tagged url>
    [Start 7-day free trial] <tagged url>
    held: <why>                      (only for a push that would be held)

With --json, one object a line per item: feed (the file or address given), link, title,
subtitle (as the push shows it, or null), teaser (its Telegram HTML), text (the push's
Telegram HTML), buttons ([{text, url}]) and held (why, or null).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bot.push.holds import push_problem
from bot.push.messages import cable_push
from bot.sandbox.terminal import terminal_text
from bot.settings import Settings
from briefings.cables.feed import FeedError, FeedItem, parse_feed
from briefings.cables.ingest import FETCH_TIMEOUT, MAX_FEED_BYTES, USER_AGENT
from briefings.cables.store import CableStore
from briefings.rendering.renderer import Pages
from briefings.schema import open_database

EXIT_FAILED = 1
# A loopback address is reached directly, whatever HTTP(S)_PROXY says (as the feed's poll).
_DIRECT: dict[str, Any] = {"all://127.0.0.1": None, "all://localhost": None, "all://[::1]": None}


@dataclass(frozen=True, slots=True)
class RenderedPush:
    """One item's push as the bot would send it, and why it would be held, if it would."""

    feed: str
    link: str
    title: str
    subtitle: str | None
    teaser: str
    text: str
    buttons: list[dict[str, str]]
    held: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"feed": self.feed, "link": self.link, "title": self.title,
                "subtitle": self.subtitle, "teaser": self.teaser, "text": self.text,
                "buttons": self.buttons, "held": self.held}  # fmt: skip

    def readable(self) -> str:
        """The push as the module's docstring lays it out."""
        lines = [f"== {self.feed} · {self.link}", terminal_text(self.text, ansi=False)]
        lines += [f"[{button['text']}] {button['url']}" for button in self.buttons]
        if self.held:
            lines.append(f"held: {self.held}")
        return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`render feed`'s own arguments, on the `render` command."""
    parser.add_argument(
        "sources", nargs="*", metavar="URL_OR_FILE", help="feed only: the feeds to read"
    )
    parser.add_argument("--json", action="store_true", help="feed only: one JSON object a line")
    parser.add_argument(
        "--all-new", action="store_true",
        help="feed only: a feed's items new in one poll (held past NEW_CABLES_PER_POLL)",
    )  # fmt: skip


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Render every source's pushes and print them; exit 1 if a source could not be read."""
    if not args.sources:
        print("cables-bot render feed: name at least one feed (a file or an address)",
              file=sys.stderr)  # fmt: skip
        return EXIT_FAILED
    return asyncio.run(_run(settings, args.sources, as_json=args.json, all_new=args.all_new))


async def _run(settings: Settings, sources: list[str], *, as_json: bool, all_new: bool) -> int:
    failed = False
    with tempfile.TemporaryDirectory(prefix="cables-render-") as folder:
        db = await open_database(Path(folder) / "render.db")
        try:
            cables = CableStore(db)
            pages = Pages()
            for source in sources:
                try:
                    items = await asyncio.to_thread(parse_feed, await read_source(source))
                except (OSError, httpx.HTTPError, FeedError, ValueError) as exc:
                    print(f"cables-bot render feed: {source}: {exc}", file=sys.stderr)
                    failed = True
                    continue
                burst = _burst(len(items), settings.new_cables_per_poll, all_new=all_new)
                for item in items:
                    pushed = await render_item(source, item, cables, pages, settings, burst)
                    print(json.dumps(pushed.as_dict(), ensure_ascii=False) if as_json
                          else pushed.readable() + "\n")  # fmt: skip
        finally:
            await db.close()
    return EXIT_FAILED if failed else 0


async def render_item(
    source: str,
    item: FeedItem,
    cables: CableStore,
    pages: Pages,
    settings: Settings,
    burst: str | None,
) -> RenderedPush:
    """Store the item as a new cable and compose its push, as a poll and the publisher do."""
    async with cables.db.transaction():
        cable_id = await cables.insert(item, "feed", pushed=True)
    stored = await cables.get(cable_id) if cable_id is not None else None
    held = None
    if stored is None:  # its guid was stored before: the bot would not push it again
        held = "listed before in this run: a cable is stored once and never pushed twice"
        stored = await cables.by_address(item.link) or await cables.by_address(item.guid)
        if stored is None:
            return RenderedPush(source, item.link, item.title, None, "", "", [], held)
    push = cable_push(stored, pages, settings.trial_url)
    buttons = [
        {"text": button.text, "url": button.url or ""}
        for row in push.markup.inline_keyboard
        for button in row
    ]
    return RenderedPush(
        feed=source, link=item.link, title=stored.title, subtitle=stored.subtitle,
        teaser=stored.teaser_html, text=push.text, buttons=buttons,
        held=held or burst or push_problem(push),
    )  # fmt: skip


def _burst(count: int, at_once: int, *, all_new: bool) -> str | None:
    """Why new cables would wait for an editor: more in one poll than NEW_CABLES_PER_POLL."""
    new_together = count if all_new else 1
    if new_together <= at_once:
        return None
    return (f"{new_together} new cables in one poll, more than NEW_CABLES_PER_POLL ({at_once}):"
            " stored, and pushed only once an editor taps Push")  # fmt: skip


async def read_source(source: str) -> bytes:
    """A feed's body, from an address (as the poll fetches it, up to its size) or a file."""
    if not source.startswith(("http://", "https://")):
        return await asyncio.to_thread(Path(source).read_bytes)
    async with httpx.AsyncClient(
        timeout=FETCH_TIMEOUT, follow_redirects=True, mounts=_DIRECT,
        headers={"User-Agent": USER_AGENT},
    ) as client, client.stream("GET", source) as response:  # fmt: skip
        response.raise_for_status()
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > MAX_FEED_BYTES:
                raise ValueError(f"larger than {MAX_FEED_BYTES} bytes")
    return bytes(body)
