"""The long-lived services, opened at start-up and closed at shutdown, and the typed context
through which every handler and job reaches them (PTB's `ContextTypes(context=...)`)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from bot.desks import Desks
from bot.keyboards import Keyboards
from bot.plumbing.error_digest import ErrorDigest
from bot.plumbing.rate_limits import RateLimitArgs
from bot.push.daily import DailySchedule
from bot.push.drafts import CableDrafting
from bot.push.holds import HoldNotices
from bot.push.messages import PushComposer
from bot.push.outbox import Delivery, Outbox
from bot.push.publisher import Publisher
from bot.push.schema import DELIVERY
from bot.push.subscribers import SubscriberStore
from bot.push.updates import UpdatePushes
from bot.push.worker import PushWorker
from bot.settings import Settings
from bot.stats.last_seen import LastSeen
from bot.stats.links import Links, go_base
from bot.stats.schema import STATS
from bot.stats.store import Stats
from briefings.cables.ingest import CableIngest
from briefings.cables.store import CableStore
from briefings.database import Database
from briefings.drafting.store import DraftStore
from briefings.rendering.renderer import Pages
from briefings.schema import open_database
from briefings.situations import Situations


@dataclass(slots=True)
class Services:
    """One of each: the database and what is built on it, in the order they depend."""

    settings: Settings
    db: Database
    situations: Situations
    pages: Pages
    desks: Desks
    keyboards: Keyboards
    subscribers: SubscriberStore
    daily: DailySchedule
    cables: CableStore
    outbox: Outbox
    pushes: PushComposer
    worker: PushWorker
    ingest: CableIngest
    publisher: Publisher
    stats: Stats
    links: Links
    last_seen: LastSeen  # the version each reader last read ("Since you last looked")
    updates: UpdatePushes  # what changed, pushed once the editors' changes settle
    drafting: CableDrafting  # each new cable's statements drafted for the editors' review
    background: set[asyncio.Task[Any]] = field(default_factory=set)
    menus: asyncio.Task[None] | None = None  # the command menus being set at start
    # Sets the command menus and the profile from the current situation (bot/app.py): at
    # start, and again as soon as the editors choose another (menus_follow).
    set_menus: Callable[[], Awaitable[None]] | None = None
    # Which errors the editors heard of lately (bot/plumbing/errors.py).
    error_digest: ErrorDigest = field(default_factory=ErrorDigest)

    @classmethod
    async def open(
        cls,
        settings: Settings,
        bot: ExtBot[RateLimitArgs],
        *,
        webhook: bool = False,
    ) -> Services:
        """Open the database named in settings and build the services on it."""
        db = await open_database(settings.database_path, DELIVERY, STATS)
        try:
            return await cls._build(settings, bot, db, webhook=webhook)
        except BaseException:
            # Each connection has a thread of its own that is no daemon: left open, the
            # process would never exit after the failed start.
            await db.close()
            raise

    @classmethod
    async def _build(
        cls,
        settings: Settings,
        bot: ExtBot[RateLimitArgs],
        db: Database,
        *,
        webhook: bool,
    ) -> Services:
        situations = Situations(db)
        pages = Pages()
        desks = Desks(db, situations, pages)
        # Share needs BotFather's inline mode, which getMe reports at start-up.
        # In webhook mode the bot has a public address: links go through it and are counted.
        base = go_base(settings.webhook_url) if webhook and settings.webhook_url else None
        links = Links(db, base)
        keyboards = Keyboards(
            settings.trial_url, share=bool(bot.supports_inline_queries), links=links.link
        )
        cables = CableStore(db)
        outbox = Outbox(db)
        pushes = PushComposer(pages, desks, cables, keyboards, claim=outbox.claim)
        subscribers = SubscriberStore(db)
        notices = HoldNotices(
            bot, pages, cables, settings.admin_ids, subscribers=subscribers,
            at_once=settings.new_cables_per_poll,
        )  # fmt: skip
        last_seen = LastSeen(db)
        worker = PushWorker(
            outbox, bot, pushes.compose, settings.broadcast_rate, on_hold=notices.tell,
            paid=settings.paid_broadcast, on_sent=functools.partial(update_heard, last_seen),
        )  # fmt: skip
        ingest = CableIngest(db, cables, settings.feed_url, page_hosts=settings.publish_hosts)
        background: set[asyncio.Task[Any]] = set()
        drafting = CableDrafting(
            DraftStore(db), cables, desks, ingest, bot, pages, settings.admin_ids, background
        )
        return cls(
            settings=settings,
            db=db,
            situations=situations,
            pages=pages,
            desks=desks,
            keyboards=keyboards,
            subscribers=subscribers,
            daily=DailySchedule(db),
            cables=cables,
            outbox=outbox,
            pushes=pushes,
            worker=worker,
            ingest=ingest,
            publisher=Publisher(
                db,
                ingest,
                cables,
                outbox,
                pushes,
                notices.tell,
                worker.wake,
                at_once=settings.new_cables_per_poll,
                ask=notices.ask,
                on_new_cable=drafting.cable_arrived,
            ),
            stats=Stats(db),
            drafting=drafting,
            background=background,
            links=links,
            last_seen=last_seen,
            updates=UpdatePushes(db, situations, desks, settings.update_quiet_seconds),
        )

    def is_editor(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.settings.admin_ids

    async def menus_follow(self) -> None:
        """Set the menus and profile again, for the situation now current: after those set
        at start, so that the later setting is the one Telegram keeps."""
        if self.menus is not None:
            await asyncio.wait({self.menus})
        if self.set_menus is not None:
            await self.set_menus()

    async def stop_background(self) -> None:
        """Stop taking new work: finish the push worker's sends, cancel other tasks."""
        await self.worker.stop()
        for task in self.background:
            task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)
        self.background.clear()

    async def close(self) -> None:
        await self.stats.flush()
        await self.last_seen.flush()
        await self.drafting.close()
        await self.ingest.close()
        await self.db.close()


async def update_heard(last_seen: LastSeen, delivery: Delivery) -> None:
    """A push Telegram accepted: an update push in a private chat (whose id is its reader's)
    told that reader of its span of changes, which "Since you last looked" need not repeat."""
    if delivery.kind != "update" or delivery.chat_id <= 0 or delivery.situation_id is None:
        return
    if delivery.since is not None and delivery.until is not None:
        await last_seen.heard(delivery.chat_id, delivery.situation_id, delivery.since,
                              delivery.until)  # fmt: skip


class BotData:
    """The application's bot_data: the services, once post_init has opened them."""

    def __init__(self) -> None:
        self._services: Services | None = None

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("services are not open: post_init has not run")
        return self._services

    @property
    def is_open(self) -> bool:
        return self._services is not None

    def open(self, services: Services) -> None:
        self._services = services

    def close(self) -> Services | None:
        services, self._services = self._services, None
        return services


class BotContext(CallbackContext[ExtBot[RateLimitArgs], dict[Any, Any], dict[Any, Any], BotData]):
    """The context every handler and job gets: the services as typed attributes."""

    @property
    def services(self) -> Services:
        return self.bot_data.services

    @property
    def settings(self) -> Settings:
        return self.bot_data.services.settings

    @property
    def situations(self) -> Situations:
        return self.bot_data.services.situations

    @property
    def pages(self) -> Pages:
        """Renders every reply that is not a briefing, from its template."""
        return self.bot_data.services.pages

    @property
    def desks(self) -> Desks:
        return self.bot_data.services.desks

    @property
    def keyboards(self) -> Keyboards:
        return self.bot_data.services.keyboards

    @property
    def subscribers(self) -> SubscriberStore:
        return self.bot_data.services.subscribers

    @property
    def daily(self) -> DailySchedule:
        return self.bot_data.services.daily

    @property
    def cables(self) -> CableStore:
        return self.bot_data.services.cables

    @property
    def outbox(self) -> Outbox:
        return self.bot_data.services.outbox

    @property
    def pushes(self) -> PushComposer:
        return self.bot_data.services.pushes

    @property
    def worker(self) -> PushWorker:
        return self.bot_data.services.worker

    @property
    def ingest(self) -> CableIngest:
        return self.bot_data.services.ingest

    @property
    def publisher(self) -> Publisher:
        return self.bot_data.services.publisher

    @property
    def stats(self) -> Stats:
        return self.bot_data.services.stats

    def is_editor(self, user_id: int | None) -> bool:
        return self.bot_data.services.is_editor(user_id)


# The Application and JobQueue as built with this context (see bot/app.py).
App = Application[
    ExtBot[RateLimitArgs],
    BotContext,
    dict[Any, Any],
    dict[Any, Any],
    BotData,
    JobQueue[BotContext],
]
