"""The web server's connections: a cap, a deadline for each request, and a quiet log.

An idle connection costs the process an open file. 1,100 connections that never finished
their headers used up the bot's 1,024: Telegram's posts timed out until the attacker let go,
and asyncio logged each failed accept (millions of lines in 30 s). So:

- At most `limit` connections at once, well below RLIMIT_NOFILE, so the databases, the Bot
  API's connections and the feed always find a file, and accept never fails. A connection
  past the limit makes room by closing the oldest one still waiting for its request; where
  none is waiting, the newcomer is closed. Telegram sends its request as soon as it
  connects, so an attacker's idle connections never hold it out.
- asyncio accepts up to the listen backlog's number of connections at a time, before any of
  them reaches `admit` (and a closed one's file is let go a moment later), so the backlog is
  small (ACCEPT_BATCH) and the limit leaves room for a few batches in flight.
- A request must arrive whole (line, headers and body) within REQUEST_SECONDS of the
  connection opening or of the last answer on it (uvicorn's h11 waits for headers forever).
- What a flood makes uvicorn or asyncio log each time (a malformed request, a failed
  accept) is logged at most once a minute.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from typing import ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

MAX_CONNECTIONS = 1000
ACCEPT_BATCH = 64  # uvicorn's backlog: the listen queue, and the accepts asyncio makes at once
# Files kept besides the connections admitted: the rest of the bot's, and accepted
# connections not yet admitted or closed ones not yet let go (three batches at most).
FD_RESERVE = 256 + 4 * ACCEPT_BATCH
REQUEST_SECONDS = 10.0  # Telegram's updates are a few kilobytes, sent at once
QUIET_SECONDS = 60.0

# Lines a flood repeats once per connection: the loggers, and how their messages begin.
_REPEATED = {
    "asyncio": ("socket.accept() out of system resource",),
    "uvicorn.error": ("Invalid HTTP request received", "Exceeded concurrency limit",
                      "Unsupported upgrade request"),
}  # fmt: skip


def connection_limit(most: int = MAX_CONNECTIONS, reserve: int = FD_RESERVE) -> int:
    """Connections the server keeps at once: `most`, and `reserve` files below the
    process's limit of open files (a quarter of it, where that limit is below 1,024)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return most
    return max(1, min(most, max(soft - reserve, soft // 4)))


class Connections:
    """The server's open connections, oldest first; admits each new one."""

    def __init__(self, limit: int, request_seconds: float = REQUEST_SECONDS) -> None:
        self.limit = limit
        self.request_seconds = request_seconds
        self._open: dict[GuardedH11Protocol, None] = {}  # kept in the order they opened
        self._closed = 0  # closed to make room, since the last line said so
        self._said_at = -QUIET_SECONDS

    def __len__(self) -> int:
        return len(self._open)

    def admit(self, connection: GuardedH11Protocol) -> bool:
        """Take a new connection, closing the oldest waiting one when full; False when every
        connection is busy with a request (the newcomer is closed instead)."""
        if len(self._open) >= self.limit:
            oldest = next((c for c in self._open if c.waiting_for_request), None)
            self._note_closed()
            if oldest is None:
                connection.transport.close()
                return False
            del self._open[oldest]
            oldest.transport.close()
        self._open[connection] = None
        return True

    def left(self, connection: GuardedH11Protocol) -> None:
        self._open.pop(connection, None)

    def protocol(self) -> type[GuardedH11Protocol]:
        """uvicorn's `http` protocol class for a server with these connections."""

        class Guarded(GuardedH11Protocol):
            pass

        Guarded.guard = self
        return Guarded

    def _note_closed(self) -> None:
        self._closed += 1
        now = time.monotonic()
        if now - self._said_at >= QUIET_SECONDS:
            log.warning(
                "web server: at its limit of %d connections, closed %d still waiting for"
                " their request to make room (said at most once a minute)",
                self.limit, self._closed,
            )  # fmt: skip
            self._said_at, self._closed = now, 0


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, admitted by Connections and given a deadline per request."""

    guard: ClassVar[Connections]  # (uvicorn's own `connections` is the server's set)
    _deadline: asyncio.TimerHandle | None = None

    @property
    def waiting_for_request(self) -> bool:
        """The client has yet to send a whole request: its headers or its body."""
        return self.conn.their_state in (h11.IDLE, h11.SEND_BODY)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if self.guard.admit(self):
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self.guard.left(self)
        if self._deadline is not None:
            self._deadline.cancel()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()  # the next request on this connection has as long

    def _arm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = self.loop.call_later(self.guard.request_seconds, self._late)

    def _late(self) -> None:
        self._deadline = None
        if self.waiting_for_request and not self.transport.is_closing():
            self.transport.close()


class AtMostOncePerMinute(logging.Filter):
    """Lets a repeated line through once a minute (per logger and message)."""

    def __init__(self, prefixes: tuple[str, ...]) -> None:
        super().__init__()
        self.prefixes = prefixes
        self._last: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        prefix = next((p for p in self.prefixes if message.startswith(p)), None)
        if prefix is None:
            return True
        now = time.monotonic()
        if now - self._last.get(prefix, -QUIET_SECONDS) < QUIET_SECONDS:
            return False
        self._last[prefix] = now
        return True


def quiet_repeated_lines() -> list[tuple[logging.Logger, logging.Filter]]:
    """Filter the lines a flood repeats; return what to remove at the end."""
    added: list[tuple[logging.Logger, logging.Filter]] = []
    for name, prefixes in _REPEATED.items():
        logger, once = logging.getLogger(name), AtMostOncePerMinute(prefixes)
        logger.addFilter(once)
        added.append((logger, once))
    return added
