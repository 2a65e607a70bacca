"""Which clicks on a counted link count: at most one a visitor, link and day, and nothing kept
that says who the visitor is.

A visitor is the client's address (an IPv6 address by its /64, which one household's or
phone's addresses share) and its User-Agent. Each is held only as a keyed hash, under a key
drawn at random for the day and kept in memory alone: the hashes go with the day, and no
later key can match them. A restart starts the day afresh, so a visitor may count once more
after one. A client that changes its User-Agent adds at most PER_ADDRESS visitors an
address, link and day, and the day's hashes are bounded (MOST_A_DAY).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import secrets
from collections import Counter
from collections.abc import Callable

from bot.stats.store import today

log = logging.getLogger(__name__)

PER_ADDRESS = 8
MOST_A_DAY = 200_000  # about 10 MB of hashes; past it, no new visitor counts that day


def address_key(address: str | None) -> str:
    """The client's address as visitors are told apart: IPv4 whole, IPv6 by its /64."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or ""
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class ClickCounter:
    """Says whether a click is its visitor's first on that link today."""

    def __init__(self, day: Callable[[], str] = today) -> None:
        self._today = day
        self._day = ""
        self._key = b""
        self._visitors: set[bytes] = set()
        self._per_address: Counter[bytes] = Counter()
        self._full = False

    def first_today(self, code: str, address: str | None, user_agent: str) -> bool:
        day = self._today()
        if day != self._day:  # a new day: a new key, and yesterday's hashes dropped
            self._day, self._key = day, secrets.token_bytes(32)
            self._visitors, self._per_address, self._full = set(), Counter(), False
        where = address_key(address)
        visitor = self._hash(code, where, user_agent)
        if visitor in self._visitors:
            return False
        place = self._hash(code, where)
        if self._per_address[place] >= PER_ADDRESS:
            return False
        if len(self._visitors) >= MOST_A_DAY:
            if not self._full:
                log.warning("clicks: %d visitors today; no more are counted today", MOST_A_DAY)
                self._full = True
            return False
        self._visitors.add(visitor)
        self._per_address[place] += 1
        return True

    @property
    def held(self) -> int:
        """Hashes held for today."""
        return len(self._visitors) + len(self._per_address)

    def _hash(self, *parts: str) -> bytes:
        message = "\0".join(parts).encode("utf-8", "replace")
        return hmac.new(self._key, message, hashlib.sha256).digest()[:16]
