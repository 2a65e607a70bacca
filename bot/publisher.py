"""New cables in: poll the feed (conditional GET), store each cable once, queue its pushes.

A cable and its outbox rows land in one transaction. The first poll of a fresh database
records what the feed already holds without pushing it, so nobody gets the back catalogue.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser

import aiosqlite
import httpx

from bot.outbox import Outbox
from briefings.cables import CableStore
from briefings.db import fetch_one, transaction, utc_now
from briefings.feed import FeedError, FeedItem, parse_feed

log = logging.getLogger(__name__)

MAX_FEED_BYTES = 10 * 1024 * 1024
FETCH_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
USER_AGENT = "cables-bot (+https://thebismarckcables.substack.com)"


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one poll did: unchanged (304), primed, new cables, nothing new, or an error."""

    outcome: str
    new_cables: tuple[str, ...] = ()
    error: str | None = None


class PublishError(Exception):
    """A cable could not be published; the message says why."""


class Publisher:
    def __init__(
        self,
        conn: aiosqlite.Connection,
        feed_url: str,
        on_new_pushes: Callable[[], None],
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.conn = conn
        self.feed_url = feed_url
        self.cables = CableStore(conn)
        self.outbox = Outbox(conn)
        self.on_new_pushes = on_new_pushes
        self.client = client or httpx.AsyncClient(
            timeout=FETCH_TIMEOUT, follow_redirects=True, headers={"User-Agent": USER_AGENT}
        )
        self.polls_done = 0
        self._poll_finished = asyncio.Condition()

    async def wait_for_polls(self, count: int, timeout: float = 30.0) -> None:
        """Wait until count polls in all have finished (for health checks and tests)."""
        async with self._poll_finished:
            await asyncio.wait_for(
                self._poll_finished.wait_for(lambda: self.polls_done >= count), timeout
            )

    async def close(self) -> None:
        await self.client.aclose()

    # ------------------------------------------------------------------ the feed
    async def poll_feed(self) -> PollResult:
        """Poll the feed once. Never raises: a bad feed is logged and retried next time."""
        try:
            result = await self._poll()
        except (httpx.HTTPError, FeedError, PublishError) as exc:
            result = PollResult("error", error=f"{type(exc).__name__}: {exc}"[:300])
        except Exception as exc:
            log.exception("feed poll failed")
            result = PollResult("error", error=type(exc).__name__)
        try:
            await self._remember_poll(result)
        finally:
            async with self._poll_finished:
                self.polls_done += 1
                self._poll_finished.notify_all()
        level = logging.WARNING if result.outcome == "error" else logging.INFO
        log.log(level, "feed poll result=%s new=%d error=%s",
                result.outcome, len(result.new_cables), result.error)  # fmt: skip
        return result

    async def _poll(self) -> PollResult:
        state = await self._state()
        headers = {}
        if state and state["etag"]:
            headers["If-None-Match"] = state["etag"]
        if state and state["last_modified"]:
            headers["If-Modified-Since"] = state["last_modified"]
        response = await self._get(self.feed_url, headers)
        if response.status_code == 304:
            return PollResult("unchanged")
        items = parse_feed(response.content)
        primed = bool(state and state["primed_at"])
        new_cables: list[str] = []
        if not primed:
            await self._prime(items)
        else:
            known = await self.cables.known_guids()
            # The feed lists newest first; push in the order they were published.
            for item in reversed([item for item in items if item.guid not in known]):
                cable_id = await self.store_and_push(item, "feed")
                if cable_id is not None:
                    new_cables.append(cable_id)
        # Validators are saved only once every item is stored, so a failure re-reads it all.
        await self._save_validators(response, primed_now=not primed)
        if new_cables:
            self.on_new_pushes()
        if not primed:
            return PollResult("primed")
        return PollResult("new" if new_cables else "nothing new", tuple(new_cables))

    async def store_and_push(self, item: FeedItem, origin: str) -> str | None:
        """Store a new cable and queue it for every active subscriber, in one transaction."""
        async with transaction(self.conn):
            cable_id = await self.cables.insert(item, origin, pushed=True)
            if cable_id is None:
                return None  # seen before (edited, re-dated or re-listed): never pushed twice
            queued = await self.outbox.enqueue_cable(cable_id)
        log.info("new cable id=%s origin=%s queued=%d", cable_id, origin, queued)
        return cable_id

    async def _prime(self, items: list[FeedItem]) -> None:
        async with transaction(self.conn):
            for item in items:
                await self.cables.insert(item, "backlog", pushed=False)
        log.info("feed primed: %d existing cables recorded, none pushed", len(items))

    # ------------------------------------------------------------------ by hand
    async def publish_url(self, url: str) -> str:
        """Push the cable at url now (once only); return its id or raise PublishError."""
        stored = await self.cables.by_guid_or_url(url, url)
        if stored is None:
            item = await self._find_in_feed(url) or await self._read_post_page(url)
            cable_id = await self.store_and_push(item, "manual")
            if cable_id is None:
                raise PublishError("that cable was stored a moment ago: see /cables")
        else:
            if stored.pushed_at is not None:
                raise PublishError(f"that cable was already pushed ({stored.pushed_at[:16]} UTC)")
            async with transaction(self.conn):
                if not await self.cables.mark_pushed(stored.id):
                    raise PublishError("that cable was pushed a moment ago")
                await self.outbox.enqueue_cable(stored.id)
            cable_id = stored.id
        self.on_new_pushes()
        return cable_id

    async def _find_in_feed(self, url: str) -> FeedItem | None:
        try:
            response = await self._get(self.feed_url, {})
            items = parse_feed(response.content)
        except (httpx.HTTPError, FeedError, PublishError) as exc:
            log.warning("publish: feed unavailable (%s); reading the post page", exc)
            return None
        return next((item for item in items if url in (item.link, item.guid)), None)

    async def _read_post_page(self, url: str) -> FeedItem:
        """Build a cable from the post page's own title and description meta tags."""
        try:
            response = await self._get(url, {})
        except (httpx.HTTPError, PublishError) as exc:
            raise PublishError(f"could not read {url}: {exc}") from None
        meta = _PageMeta.read(response.text)
        if not meta.title:
            raise PublishError("that page has no title: is it a post of the newsletter?")
        return FeedItem(
            guid=url,
            link=url,
            title=meta.title,
            subtitle=None,
            published=None,
            teaser_html=html.escape(meta.description or "", quote=False),
            paid=False,
        )

    # ------------------------------------------------------------------ plumbing
    async def _get(self, url: str, headers: dict[str, str]) -> httpx.Response:
        async with self.client.stream("GET", url, headers=headers) as response:
            if response.status_code not in (200, 304):
                raise PublishError(f"HTTP {response.status_code} from {url}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_FEED_BYTES:
                    raise PublishError(f"{url} is larger than {MAX_FEED_BYTES} bytes")
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=bytes(body),
            request=response.request,
        )

    async def _state(self) -> aiosqlite.Row | None:
        return await fetch_one(
            self.conn, "SELECT * FROM feed_state WHERE url = ?", (self.feed_url,)
        )

    async def _save_validators(self, response: httpx.Response, *, primed_now: bool) -> None:
        async with transaction(self.conn):
            await self.conn.execute(
                "INSERT INTO feed_state (url, etag, last_modified, primed_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (url) DO UPDATE SET etag = excluded.etag,"
                " last_modified = excluded.last_modified,"
                " primed_at = COALESCE(feed_state.primed_at, excluded.primed_at)",
                (
                    self.feed_url,
                    response.headers.get("ETag"),
                    response.headers.get("Last-Modified"),
                    utc_now() if primed_now else None,
                ),
            )

    async def _remember_poll(self, result: PollResult) -> None:
        now = utc_now()
        ok_at = None if result.outcome == "error" else now
        text = result.outcome if result.error is None else f"error: {result.error}"
        async with transaction(self.conn):
            await self.conn.execute(
                "INSERT INTO feed_state (url, last_poll_at, last_ok_at, last_result)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET"
                " last_poll_at = excluded.last_poll_at,"
                " last_ok_at = COALESCE(excluded.last_ok_at, feed_state.last_ok_at),"
                " last_result = excluded.last_result",
                (self.feed_url, now, ok_at, text),
            )


class _PageMeta(HTMLParser):
    """og:title / og:description (or <title>) of a post page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title: str | None = None
        self.description: str | None = None
        self._in_title = False
        self._title_text = ""

    @classmethod
    def read(cls, page: str) -> _PageMeta:
        meta = cls()
        meta.feed(page[:500_000])
        meta.close()
        meta.title = (meta.title or meta._title_text).strip()[:300] or None
        return meta

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
            self._title_text += data
