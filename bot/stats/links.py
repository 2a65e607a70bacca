"""Counted links (webhook mode): each trial and cable link goes through /go/<code> on the
bot's own address, which counts the click and redirects to the tagged URL.

Telegram tells a bot nothing of taps on URL buttons; in webhook mode the bot has a public
address, so the link can pass through it. A code is derived from the tagged URL, so the
same link always has the same code; codes are kept in the database (a message sent months
ago still resolves). In polling mode links go straight to the newsletter.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import hashlib
import logging
import sqlite3
from urllib.parse import urlsplit, urlunsplit

from briefings.database import Database
from briefings.rendering.links import tagged

log = logging.getLogger(__name__)

GO_PATH = "/go/"


def go_base(webhook_url: str) -> str:
    """The /go/ address on the webhook's host: https://bot.example.org/go/."""
    parts = urlsplit(webhook_url)
    return urlunsplit((parts.scheme, parts.netloc, GO_PATH, "", ""))


def code_of(url: str) -> str:
    """Ten characters naming a tagged URL (50 bits of its SHA-256: no collision in practice
    among the few hundred links a bot makes)."""
    digest = hashlib.sha256(url.encode()).digest()
    return base64.b32encode(digest)[:10].decode().lower()


class Links:
    """Makes each newsletter link: tagged, and through /go/ where clicks are counted."""

    def __init__(self, db: Database, base: str | None = None) -> None:
        self.db = db
        self.base = base  # None: polling mode, links go direct
        self._known: dict[str, tuple[str, str]] = {}
        self._saving: set[asyncio.Task[None]] = set()

    @property
    def counted(self) -> bool:
        return self.base is not None

    def link(self, url: str, campaign: str) -> str:
        """url tagged for campaign; in webhook mode, its /go/ address."""
        target = tagged(url, campaign)
        if self.base is None:
            return target
        code = code_of(target)
        if code not in self._known:
            self._known[code] = (target, campaign)
            # A fresh context: made inside a cable's transaction, the save must not count as
            # part of it (the database keeps "in a transaction" in a context variable).
            task = asyncio.get_running_loop().create_task(
                self._save(code, target, campaign), context=contextvars.Context()
            )
            self._saving.add(task)
            task.add_done_callback(self._saving.discard)
        return self.base + code

    async def _save(self, code: str, url: str, campaign: str) -> None:
        try:
            async with self.db.transaction():
                await self.db.execute(
                    "INSERT OR IGNORE INTO links (code, url, campaign) VALUES (?, ?, ?)",
                    (code, url, campaign),
                )
        except sqlite3.Error as exc:
            log.warning("link code not saved (it works until the next start): %s", exc)

    async def resolve(self, code: str) -> tuple[str, str] | None:
        """The tagged URL and campaign behind a code, or None for a code never made."""
        known = self._known.get(code)
        if known is not None:
            return known
        row = await self.db.fetch_one("SELECT url, campaign FROM links WHERE code = ?", (code,))
        return (row[0], row[1]) if row is not None else None
