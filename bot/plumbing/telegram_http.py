"""PTB's requests to the Bot API over aiohttp, with JSON bodies.

python-telegram-bot lets an application bring its own HTTP client (BaseRequest). Its default,
httpx with form-encoded bodies, spent about 0.8 ms of CPU per call here (a 2 KB briefing is
percent-encoded byte by byte); aiohttp with a JSON body spends about 0.2 ms. Every reply and
every push is one call, so this is most of what a burst or a broadcast costs (BENCHMARKS.md).
"""

from __future__ import annotations

import functools
import ipaddress
import json
import ssl
from typing import Any
from urllib.parse import urlsplit
from urllib.request import getproxies_environment, proxy_bypass

import aiohttp
import certifi
from telegram.error import NetworkError, TimedOut
from telegram.ext import ApplicationBuilder
from telegram.request import BaseRequest, RequestData

_JSON = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    """One aiohttp session and connection pool; the timeouts mean what PTB's do."""

    __slots__ = (
        "_connect", "_media_write", "_pool", "_pool_size", "_proxies", "_read", "_session",
        "_write",
    )  # fmt: skip

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            tls = _tls_context()
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, ssl=tls),
                headers={"User-Agent": self.USER_AGENT},
                # Bot API answers are JSON we parse ourselves; no cookies to keep between calls.
                cookie_jar=aiohttp.DummyCookieJar(),
            )

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        # Each a number of seconds, None (no limit), or PTB's DEFAULT_NONE (this client's own).
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        uploads = request_data is not None and request_data.contains_files
        timeout = self._timeout(
            read_timeout, write_timeout, connect_timeout, pool_timeout, uploads=uploads
        )
        body: aiohttp.FormData | bytes | None = None
        headers = None
        if request_data is not None:
            if uploads:
                body = _multipart(request_data)
            else:
                body, headers = json.dumps(request_data.parameters).encode(), _JSON
        try:
            # The Bot API never redirects; a redirect would carry the token somewhere else.
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout, allow_redirects=False,
                proxy=self._proxy_for(url),
            ) as response:  # fmt: skip
                return response.status, await response.read()
        except TimeoutError as err:  # aiohttp's timeouts subclass it
            raise TimedOut from err
        except aiohttp.ClientError as err:
            # The class name helps when the message is empty. Some of aiohttp's messages quote
            # the whole URL, and the token is in its path: the message names the method only.
            message = str(err).replace(url, f"<Bot API>/{url.rpartition('/')[2]}")
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {message}") from err

    def _proxy_for(self, url: str) -> str | None:
        """HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY, as PTB's httpx client honoured them,
        except for a Bot API on this machine (`cables-bot try`'s, a local telegram-bot-api
        server): a proxy elsewhere cannot reach this machine's loopback, so it is never used.

        Looked up once per scheme and host: aiohttp's own trust_env reads the environment and
        ~/.netrc on every call, which tripled the CPU a call costs.
        """
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._proxies:
            proxies = getproxies_environment()
            # On Linux, proxy_bypass is proxy_bypass_environment: NO_PROXY.
            bypass = parts.hostname is not None and (
                is_loopback(parts.hostname) or bool(proxy_bypass(parts.hostname))
            )
            self._proxies[origin] = None if bypass else (
                proxies.get(parts.scheme) or proxies.get("all"))  # fmt: skip
        return self._proxies[origin]

    def _timeout(
        self,
        read_given: object,
        write_given: object,
        connect_given: object,
        pool_given: object,
        *,
        uploads: bool,
    ) -> aiohttp.ClientTimeout:
        read = _seconds(read_given, self._read)
        write = _seconds(write_given, self._media_write if uploads else self._write)
        connect = _seconds(connect_given, self._connect)
        pool = _seconds(pool_given, self._pool)
        parts = (read, write, connect, pool)
        # aiohttp has no write timeout of its own: bound the whole call by the sum instead.
        total = None if None in parts else sum(p for p in parts if p is not None)
        acquire = None if connect is None or pool is None else connect + pool
        return aiohttp.ClientTimeout(
            total=total, connect=acquire, sock_connect=connect, sock_read=read
        )


def is_loopback(host: str) -> bool:
    """Whether host names this machine: localhost, 127.0.0.0/8 or ::1."""
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _seconds(given: object, default: float | None) -> float | None:
    """A timeout PTB passed: DEFAULT_NONE means this client's own default."""
    if given is BaseRequest.DEFAULT_NONE:
        return default
    if given is None or isinstance(given, int | float):
        return given
    raise TypeError(f"a timeout is a number of seconds or None, not {type(given).__name__}")


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context for every session: loading certifi's CAs costs ~20 ms each time."""
    return ssl.create_default_context(cafile=certifi.where())


def _multipart(request_data: RequestData) -> aiohttp.FormData:
    """The parameters as form fields and the uploads as file parts, as Telegram takes them."""
    form = aiohttp.FormData(quote_fields=False)
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, part in request_data.multipart_data.items():
        filename, content, *mimetype = part
        form.add_field(
            name, content, filename=filename, content_type=mimetype[0] if mimetype else None
        )
    return form


AnyBuilder = ApplicationBuilder[Any, Any, Any, Any, Any, Any]


def with_aiohttp(builder: AnyBuilder, get_updates: BaseRequest | None = None) -> AnyBuilder:
    """Give an Application this client: a pool for its calls (Telegram's limits are kept by
    the rate limiter, bot/plumbing/rate_limits.py), and one connection for getUpdates
    (get_updates where given: the inbox's, bot/plumbing/inbox.py)."""
    updates = get_updates or AiohttpRequest(connection_pool_size=1)
    return builder.request(AiohttpRequest()).get_updates_request(updates)
