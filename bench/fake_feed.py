"""A feed server on loopback: serves a body with an ETag, answers conditional GETs with 304,
and can be told to be down, slow, or to serve garbage. The benchmark and the tests both serve
their feeds with it; its bodies are the tests' fixtures (tests/fixtures, data only)."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

from aiohttp import web

FIXTURES = Path(__file__).parent.parent / "tests" / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


class FakeFeed:
    def __init__(self) -> None:
        self.body = fixture("bismarck-feed-v1.xml")
        self.content_type = "application/rss+xml"
        self.status = 200
        self.delay = 0.0
        self.drip = 0.0  # seconds between bytes: a server that answers a byte at a time
        self.requests = 0
        self._asked = asyncio.Condition()
        self.not_modified = 0
        self.pages: dict[str, bytes] = {}
        self.redirects: dict[str, str] = {}  # path -> where a 302 sends the client
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/feed"

    def page_url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/feed", self._feed)
        app.router.add_get("/p/{slug}", self._page)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]  # the port the system chose

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_for_requests(self, count: int, timeout: float = 60) -> None:
        """Return once the feed has been asked for count times in all."""
        async with self._asked:
            await asyncio.wait_for(self._asked.wait_for(lambda: self.requests >= count), timeout)

    async def _feed(self, request: web.Request) -> web.StreamResponse:
        async with self._asked:
            self.requests += 1
            self._asked.notify_all()
        if self.delay:
            await asyncio.sleep(self.delay)  # the fault under test: a slow server
        if self.status != 200:
            return web.Response(status=self.status, text="<html>upstream error</html>",
                                content_type="text/html")  # fmt: skip
        etag = '"' + hashlib.sha1(self.body).hexdigest() + '"'
        if self.drip:
            dripping = web.StreamResponse(headers={"Content-Type": self.content_type})
            await dripping.prepare(request)
            for byte in self.body:
                await dripping.write(bytes([byte]))
                await asyncio.sleep(self.drip)  # the fault under test: a dripping server
            return dripping
        if request.headers.get("If-None-Match") == etag:
            self.not_modified += 1
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(
            body=self.body, headers={"ETag": etag, "Content-Type": self.content_type}
        )

    async def _page(self, request: web.Request) -> web.Response:
        if request.path in self.redirects:
            raise web.HTTPFound(self.redirects[request.path])
        body = self.pages.get(request.path)
        if body is None:
            return web.Response(status=404, text="not found")
        return web.Response(body=body, content_type="text/html")
