"""New cables in: poll the feed (conditional GET), read a post page, store each cable once.

No Telegram here. What happens to a new cable (its pushes) is the caller's `on_new` hook,
run inside the transaction that stores the cable, so a crash never leaves one without the
other. The first poll of a fresh database records what the feed already holds without
calling the hook, so nobody gets the back catalogue.
"""

from __future__ import annotations

import asyncio
import html
import ipaddress
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiosqlite
import httpx

from briefings.cables.feed import FeedError, FeedItem, canonical_url, parse_feed
from briefings.cables.page import read_page_meta
from briefings.cables.store import CableStore
from briefings.database import Database, utc_now

log = logging.getLogger(__name__)

MAX_FEED_BYTES = 10 * 1024 * 1024
FETCH_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
# A fetch ends by then, however slowly the server drips its bytes (httpx's timeouts are per
# read, so a byte every few seconds would keep a poll, or an editor's /publish, for ever).
FETCH_DEADLINE_SECONDS = 60.0
USER_AGENT = "cables-bot (+https://thebismarckcables.substack.com)"
# A feed on this machine (`cables-bot try --feed`, a test's) is fetched directly, whatever
# HTTP(S)_PROXY says: a proxy elsewhere cannot reach this machine's loopback.
_DIRECT = {"all://127.0.0.1": None, "all://localhost": None, "all://[::1]": None}

# Called with a new cable's id inside the transaction that stores it.
OnNewCable = Callable[[str], Awaitable[object]]
# Called with the ids of new cables stored but not pushed (more than a poll may push at
# once), inside the transaction that stores them.
OnHeldCables = Callable[[list[str]], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one poll did: unchanged (304), primed, new cables, nothing new, or an error."""

    outcome: str
    new_cables: tuple[str, ...] = ()
    error: str | None = None
    held_cables: tuple[str, ...] = ()  # new, stored, not pushed: more than a poll may push
    moved_cables: tuple[str, ...] = ()  # known cables at a new address: links updated


class IngestError(Exception):
    """A feed or page could not be read as a cable; the message says why."""


@dataclass(frozen=True, slots=True)
class _ParsedFeed:
    """The feed as last parsed, and the conditional GET's headers that find it unchanged."""

    unchanged_if: dict[str, str]
    items: list[FeedItem]


def _unchanged_if(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """The conditional GET's headers that find a feed with these validators unchanged (304)."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


class CableIngest:
    """Reads the newsletter's feed and post pages into the cables table."""

    def __init__(
        self,
        db: Database,
        cables: CableStore,
        feed_url: str,
        client: httpx.AsyncClient | None = None,
        page_hosts: Iterable[str] = (),
    ) -> None:
        self.db = db
        self.cables = cables
        self.feed_url = feed_url
        # The newsletter's own hosts: the feed's, and any the operator adds (PUBLISH_HOSTS).
        self.feed_host = _host(feed_url)
        self.feed_origin = _origin(httpx.URL(feed_url))
        self.hosts = {self.feed_host, *(host.lower() for host in page_hosts)}
        self.client = client or httpx.AsyncClient(
            timeout=FETCH_TIMEOUT,
            follow_redirects=True,
            headers={"User-Agent": USER_AGENT},
            mounts=_DIRECT,
        )
        # Every request, redirects included, goes to the newsletter's own hosts only.
        self.client.event_hooks["request"] = [*self.client.event_hooks["request"], self._check]
        self.deadline = FETCH_DEADLINE_SECONDS
        # A /publish looks its cable up in the feed: an unchanged feed (304) is not parsed
        # again. Parsing is Python in a thread, and holds the event loop up while it runs.
        self._parsed: _ParsedFeed | None = None

    async def close(self) -> None:
        await self.client.aclose()

    # ------------------------------------------------------------------ the feed
    async def poll(
        self,
        on_new: OnNewCable,
        *,
        at_once: int | None = None,
        on_held: OnHeldCables | None = None,
    ) -> PollResult:
        """Poll the feed once. Never raises: a bad feed is logged and retried next time.

        A poll that finds more than at_once new cables stores them all without on_new, and
        hands their ids to on_held instead (a feed that changed wholesale: editors decide).
        """
        try:
            result = await self._poll(on_new, at_once, on_held)
        except (httpx.HTTPError, FeedError, IngestError) as exc:
            result = PollResult("error", error=f"{type(exc).__name__}: {exc}"[:300])
        except Exception as exc:
            log.exception("feed poll failed")
            result = PollResult("error", error=type(exc).__name__)
        await self._remember_poll(result)
        level = logging.WARNING if result.outcome == "error" else logging.INFO
        log.log(level, "feed poll result=%s new=%d held=%d moved=%d error=%s",
                result.outcome, len(result.new_cables), len(result.held_cables),
                len(result.moved_cables), result.error)  # fmt: skip
        return result

    async def _poll(
        self, on_new: OnNewCable, at_once: int | None, on_held: OnHeldCables | None
    ) -> PollResult:
        state = await self.feed_state()
        headers = _unchanged_if(state["etag"], state["last_modified"]) if state else {}
        response = await self._get(self.feed_url, headers)
        if response.status_code == 304:
            return PollResult("unchanged")
        items = await self._parse_feed(response)
        primed = bool(state and state["primed_at"])
        if not primed:
            await self._prime(items)
            await self._save_validators(response, primed_now=True)
            return PollResult("primed")
        # An item is known by its guid or its address, however linked (a cable /publish-ed by
        # hand); one known by its guid, or its title and date, at a new address has moved.
        fresh, moved = (await self.cables.known()).sort(items)
        if moved:
            async with self.db.transaction():
                for each in moved:
                    await self.cables.move(each)
            log.info("feed: %d known cables at a new address, links updated", len(moved))
        # The feed lists newest first; store in the order they were published.
        fresh.reverse()
        new_cables: list[str] = []
        held: list[str] = []
        if at_once is not None and on_held is not None and len(fresh) > at_once:
            held = await self._store_held(fresh, on_held)
        else:
            for item in fresh:
                cable_id = await self.store(item, "feed", on_new)
                if cable_id is not None:
                    new_cables.append(cable_id)
        # Validators are saved only once every item is stored, so a failure re-reads it all.
        await self._save_validators(response, primed_now=False)
        return PollResult(
            "new" if new_cables or held else "nothing new",
            tuple(new_cables),
            held_cables=tuple(held),
            moved_cables=tuple(each.cable_id for each in moved),
        )

    async def store(self, item: FeedItem, origin: str, on_new: OnNewCable) -> str | None:
        """Store a new cable and run on_new for it, in one transaction; None if seen before."""
        async with self.db.transaction():
            cable_id = await self.cables.insert(item, origin, pushed=True)
            if cable_id is None:
                return None  # seen before (edited, re-dated or re-listed): never pushed twice
            await on_new(cable_id)
        log.info("new cable id=%s origin=%s", cable_id, origin)
        return cable_id

    async def _store_held(self, items: list[FeedItem], on_held: OnHeldCables) -> list[str]:
        """Store new cables without pushing them, and hand them to on_held, in one
        transaction: a crash leaves neither, or both."""
        held: list[str] = []
        async with self.db.transaction():
            for item in items:
                cable_id = await self.cables.insert(item, "feed", pushed=False)
                if cable_id is not None:
                    held.append(cable_id)
            if held:
                await on_held(held)
        log.warning("feed: %d new cables in one poll, held for the editors", len(held))
        return held

    async def _prime(self, items: list[FeedItem]) -> None:
        async with self.db.transaction():
            for item in items:
                await self.cables.insert(item, "backlog", pushed=False)
        log.info("feed primed: %d existing cables recorded, none pushed", len(items))

    # ------------------------------------------------------------------ one post
    async def read(self, url: str) -> FeedItem:
        """The post at url as a cable: from the feed if it lists it, else from its page."""
        return await self._find_in_feed(url) or await self._read_post_page(url)

    async def page(self, url: str) -> str:
        """A post page's HTML, read as every page of the newsletter is (its own hosts only,
        within the deadline and the size limit); IngestError or httpx's errors otherwise."""
        return (await self._get(url, {})).text

    async def _find_in_feed(self, url: str) -> FeedItem | None:
        parsed = self._parsed
        try:
            response = await self._get(self.feed_url, parsed.unchanged_if if parsed else {})
            if response.status_code == 304 and parsed is not None:
                items = parsed.items
            else:
                items = await self._parse_feed(response)
        except (httpx.HTTPError, FeedError, IngestError) as exc:
            log.warning("publish: feed unavailable (%s); reading the post page", exc)
            return None
        wanted = canonical_url(url)
        return next(
            (i for i in items if wanted in (canonical_url(i.link), canonical_url(i.guid))), None
        )

    async def _read_post_page(self, url: str) -> FeedItem:
        """Build a cable from the post page's own title and description meta tags."""
        try:
            response = await self._get(url, {})
        except (httpx.HTTPError, IngestError) as exc:
            raise IngestError(f"could not read {url}: {exc}") from None
        meta = await asyncio.to_thread(read_page_meta, response.text)
        if not meta.title:
            raise IngestError("that page has no title: is it a post of the newsletter?")
        address = canonical_url(url)
        return FeedItem(
            guid=address,
            link=address,
            title=meta.title,
            subtitle=None,
            published=None,
            teaser_html=html.escape(meta.description or "", quote=False),
            paid=False,
        )

    # ------------------------------------------------------------------ plumbing
    async def _parse_feed(self, response: httpx.Response) -> list[FeedItem]:
        # Parsed in a worker thread: the event loop answers readers meanwhile (sharing the GIL).
        items = await asyncio.to_thread(parse_feed, response.content)
        validators = _unchanged_if(
            response.headers.get("ETag"), response.headers.get("Last-Modified")
        )
        self._parsed = _ParsedFeed(validators, items)
        return items

    async def _get(self, url: str, headers: dict[str, str]) -> httpx.Response:
        try:
            async with asyncio.timeout(self.deadline):
                return await self._fetch(url, headers)
        except TimeoutError:
            raise IngestError(
                f"{url} did not answer in full within {self.deadline:.0f} s"
            ) from None

    async def _check(self, request: httpx.Request) -> None:
        """Refuse a request (each hop of a redirect too) to any host but the newsletter's
        own, and to any private, loopback or link-local address but at the feed's own origin
        (its scheme, host and port: another port of the feed's host is another server)."""
        host = (request.url.host or "").lower()
        if request.url.scheme not in ("http", "https") or host not in self.hosts:
            raise IngestError(
                f"only the newsletter's own pages can be read ({', '.join(sorted(self.hosts))})"
            )
        origin = _origin(request.url)
        if origin == self.feed_origin:
            return  # the operator's own FEED_URL, wherever it points
        infos = await asyncio.get_running_loop().getaddrinfo(host, origin[2])
        for info in infos:
            address = ipaddress.ip_address(info[4][0])
            if not address.is_global:
                raise IngestError(f"{host} is not a public address: not read")

    async def _fetch(self, url: str, headers: dict[str, str]) -> httpx.Response:
        async with self.client.stream("GET", url, headers=headers) as response:
            if response.status_code not in (200, 304):
                raise IngestError(f"HTTP {response.status_code} from {url}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_FEED_BYTES:
                    raise IngestError(f"{url} is larger than {MAX_FEED_BYTES} bytes")
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=bytes(body),
            request=response.request,
        )

    async def feed_state(self) -> aiosqlite.Row | None:
        """The feed's polling state (validators, last poll and its result), if polled yet."""
        return await self.db.fetch_one("SELECT * FROM feed_state WHERE url = ?", (self.feed_url,))

    async def _save_validators(self, response: httpx.Response, *, primed_now: bool) -> None:
        async with self.db.transaction():
            await self.db.execute(
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
        async with self.db.transaction():
            await self.db.execute(
                "INSERT INTO feed_state (url, last_poll_at, last_ok_at, last_result)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET"
                " last_poll_at = excluded.last_poll_at,"
                " last_ok_at = COALESCE(excluded.last_ok_at, feed_state.last_ok_at),"
                " last_result = excluded.last_result",
                (self.feed_url, now, ok_at, text),
            )


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _origin(url: httpx.URL) -> tuple[str, str, int]:
    """scheme, host and port (the scheme's own where none is written): what one server is."""
    port = url.port or (443 if url.scheme == "https" else 80)
    return url.scheme, (url.host or "").lower(), port
