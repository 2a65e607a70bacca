"""Real databases for the benchmark and the tests that work below the bot: opened as the bot
opens them."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import httpx

from bot.desks import Desks
from bot.keyboards import Keyboards
from bot.push.messages import PushComposer
from bot.push.outbox import Outbox
from bot.push.publisher import Publisher
from bot.push.schema import DELIVERY
from briefings.cables.ingest import CableIngest
from briefings.cables.store import CableStore
from briefings.database import Database
from briefings.facts.store import FactStore
from briefings.rendering.renderer import Pages
from briefings.schema import open_database
from briefings.situations import Situations

TRIAL_URL = "https://thebismarckcables.substack.com/subscribe?coupon=tg7"


async def open_store(path: str | os.PathLike[str]) -> FactStore:
    """The facts store on the database at path, with every schema the bot has, seeded."""
    return FactStore(await open_database(path, DELIVERY))


async def write(db: Database, sql: str, params: Iterable[Any] = ()) -> None:
    """One statement in its own transaction."""
    async with db.transaction():
        await db.execute(sql, params)


def publisher_on(
    db: Database, feed_url: str, client: httpx.AsyncClient | None = None
) -> Publisher:
    """A publisher as the bot builds it, without the bot (nothing wakes a worker, and no
    editor is told of a held cable)."""
    cables = CableStore(db)
    pages = Pages()
    pushes = PushComposer(
        pages, Desks(db, Situations(db), pages), cables, Keyboards(TRIAL_URL, share=False)
    )

    async def tell_nobody(cable_id: str, reason: str) -> None:
        pass

    ingest = CableIngest(db, cables, feed_url, client)
    return Publisher(db, ingest, cables, Outbox(db), pushes, tell_nobody, lambda: None)
