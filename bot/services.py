"""The long-lived services handlers use, opened at start-up and closed at shutdown."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot, InlineKeyboardMarkup
from telegram.ext import CallbackContext

from bot.forces_photo import ForcesPhoto
from bot.keyboards import briefing_keyboard
from bot.outbox import Delivery, Outbox
from bot.publisher import Publisher
from bot.push_messages import Push, cable_push, daily_push
from bot.push_worker import PushWorker
from bot.settings import Settings
from bot.subscribers import SubscriberStore
from briefings.cables import CableStore
from briefings.editing import FactEditor
from briefings.render import Briefing, BriefingRenderer
from briefings.store import FactStore

SERVICES_KEY = "services"


@dataclass(slots=True)
class Services:
    settings: Settings
    store: FactStore
    renderer: BriefingRenderer
    editor: FactEditor
    subscribers: SubscriberStore
    cables: CableStore
    outbox: Outbox
    publisher: Publisher
    worker: PushWorker
    forces_photo: ForcesPhoto
    # Whether BotFather's inline mode is on (getMe says so at start-up): Share needs it.
    inline_mode: bool
    background: set[asyncio.Task[Any]] = field(default_factory=set)
    _pushes: dict[str, Push] = field(default_factory=dict)
    # Each section's keyboard, built once per rendered briefing (which is cached per version).
    _keyboards: dict[str, tuple[Briefing, InlineKeyboardMarkup]] = field(default_factory=dict)

    @classmethod
    async def open(cls, settings: Settings, bot: Bot) -> Services:
        """Open the database named in settings and build the services around it."""
        store = await FactStore.open(settings.database_path)
        renderer = BriefingRenderer(store)
        outbox = Outbox(store.conn)
        services: Services
        worker = PushWorker(
            outbox, bot, lambda delivery: services.compose(delivery), settings.broadcast_rate
        )
        services = cls(
            settings=settings,
            store=store,
            renderer=renderer,
            editor=FactEditor(store, renderer),
            subscribers=SubscriberStore(store.conn),
            cables=CableStore(store.conn),
            outbox=outbox,
            publisher=Publisher(store.conn, settings.feed_url, worker.wake),
            worker=worker,
            forces_photo=ForcesPhoto(store, renderer),
            inline_mode=bool(bot.supports_inline_queries),
        )
        return services

    def is_editor(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.settings.admin_ids

    def briefing_keyboard(self, briefing: Briefing) -> InlineKeyboardMarkup:
        """The keyboard under a briefing sent in a chat with the bot."""
        built = self._keyboards.get(briefing.section.name)
        if built is not None and built[0] is briefing:
            return built[1]
        keyboard = briefing_keyboard(briefing, self.settings.trial_url, share=self.inline_mode)
        self._keyboards[briefing.section.name] = (briefing, keyboard)
        return keyboard

    async def compose(self, delivery: Delivery) -> Push | None:
        """The message for an outbox row; a cable's push is rendered once and reused."""
        if delivery.kind == "daily":
            return await daily_push(self.renderer, self.settings.trial_url, share=self.inline_mode)
        if delivery.cable_id is None:
            return None
        push = self._pushes.get(delivery.cable_id)
        if push is None:
            cable = await self.cables.get(delivery.cable_id)
            if cable is None:
                return None
            push = cable_push(cable, self.renderer, self.settings.trial_url)
            self._pushes = {delivery.cable_id: push}  # one cable is broadcast at a time
        return push

    async def stop_background(self) -> None:
        """Stop taking new work: finish the push worker's sends, cancel other tasks."""
        await self.worker.stop()
        for task in self.background:
            task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)
        self.background.clear()

    async def close(self) -> None:
        await self.publisher.close()
        await self.store.close()


def services(context: CallbackContext) -> Services:  # type: ignore[type-arg]
    """Return the services stored in bot_data at start-up."""
    found = context.bot_data.get(SERVICES_KEY)
    if not isinstance(found, Services):
        raise RuntimeError("services are not open: post_init has not run")
    return found
