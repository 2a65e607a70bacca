"""Which errors are Telegram's normal answers, and which the editors heard of lately."""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field

from telegram.error import BadRequest, Forbidden, RetryAfter

# Each distinct error reaches the editors at most once in this long.
REPORT_INTERVAL_SECONDS = 15 * 60
# What Telegram answers in the normal course of things (lower case, as a substring).
_EXPECTED_BAD_REQUESTS = (
    "message is not modified",
    "query is too old",
    "query id is invalid",
    "message to be replied not found",
    "message to edit not found",
    "message can't be edited",
    "chat not found",
    "not enough rights",
    "have no rights",
    "chat_write_forbidden",
)


def expected(error: BaseException | None) -> bool:
    """Whether an error is one of Telegram's normal answers rather than our fault."""
    if isinstance(error, Forbidden | RetryAfter):
        return True
    if isinstance(error, BadRequest):
        return any(words in error.message.lower() for words in _EXPECTED_BAD_REQUESTS)
    return False


@dataclass
class ErrorDigest:
    """Which errors the editors heard of lately, and how often each came back since."""

    interval: float = REPORT_INTERVAL_SECONDS
    _last: dict[str, float] = field(default_factory=dict)
    _repeats: dict[str, int] = field(default_factory=dict)

    def report(self, error: BaseException, now: float | None = None) -> int | None:
        """None if this error was reported within the interval (counted); else the number of
        repeats since its last report, and the error counts as reported now."""
        key = signature(error)
        now = time.monotonic() if now is None else now
        last = self._last.get(key)
        if last is not None and now - last < self.interval:
            self._repeats[key] = self._repeats.get(key, 0) + 1
            return None
        self._last[key] = now
        return self._repeats.pop(key, 0)


def signature(error: BaseException) -> str:
    """What makes two errors the same: their type and where in our code they were raised."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "/bot/" in f.filename or "/briefings/" in f.filename]
    where = ours[-1] if ours else (frames[-1] if frames else None)
    place = f"{where.filename}:{where.lineno}" if where is not None else "?"
    return f"{type(error).__name__}@{place}"
