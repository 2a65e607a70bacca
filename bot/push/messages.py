"""What a push looks like: the cable's teaser with its two buttons, or the daily brief."""

from __future__ import annotations

from dataclasses import dataclass, replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.desks import Desks
from bot.push.outbox import Delivery
from bot.readers.keyboards import TRIAL_BUTTON_TEXT, Keyboard, Keyboards, LinkMaker
from briefings.cables.store import CableStore, StoredCable
from briefings.rendering.links import tagged
from briefings.rendering.renderer import BriefingRenderer, Pages
from briefings.rendering.telegram_html import MAX_MESSAGE_LENGTH, visible_length


@dataclass(frozen=True, slots=True)
class Push:
    text: str
    markup: InlineKeyboardMarkup


def cable_push(
    cable: StoredCable, renderer: Pages, trial_url: str, link: LinkMaker = tagged
) -> Push:
    """The message every subscriber gets for a new cable."""
    text = renderer.render_page("cable_push", cable=cable)
    if visible_length(text) > MAX_MESSAGE_LENGTH:  # a feed with an absurd title: drop the teaser
        text = renderer.render_page("cable_push", cable=_without_teaser(cable))
    markup = Keyboard(
        [
            [InlineKeyboardButton("Read the cable", url=link(cable.url, cable.id))],
            [InlineKeyboardButton(TRIAL_BUTTON_TEXT, url=link(trial_url, cable.id))],
        ]
    )
    return Push(text, markup)


async def daily_push(renderer: BriefingRenderer, keyboards: Keyboards, *, late: bool) -> Push:
    """The daily briefing: the default situation's brief as it stands, with its keyboard."""
    brief = next(s.name for s in (await renderer.store.situation()).sections if s.kind == "brief")
    briefing = await renderer.render(brief)
    text = renderer.render_page("daily_push", briefing=briefing.text, late=late)
    if visible_length(text) > MAX_MESSAGE_LENGTH:
        text = briefing.text
    return Push(text, keyboards.briefing(briefing, campaign="daily"))


class PushComposer:
    """The message for each outbox row; a cable's push is rendered once and reused."""

    def __init__(
        self, pages: Pages, desks: Desks, cables: CableStore, keyboards: Keyboards
    ) -> None:
        self.pages = pages
        self.desks = desks
        self.cables = cables
        self.keyboards = keyboards
        self._cable_push: tuple[str, Push] | None = None  # one cable is broadcast at a time

    async def compose(self, delivery: Delivery) -> Push | None:
        """The message for an outbox row, or None when there is nothing to send any more."""
        if delivery.kind == "daily":
            desk = await self.desks.current()
            return await daily_push(desk.renderer, self.keyboards, late=delivery.late)
        if delivery.cable_id is None:
            return None
        if self._cable_push is not None and self._cable_push[0] == delivery.cable_id:
            return self._cable_push[1]
        cable = await self.cables.get(delivery.cable_id)
        if cable is None:
            return None
        push = self.cable(cable)
        self._cable_push = (delivery.cable_id, push)
        return push

    def forget(self) -> None:
        """A cable was read again: its push is composed anew."""
        self._cable_push = None

    def cable(self, cable: StoredCable) -> Push:
        """A cable's push as subscribers get it."""
        return cable_push(cable, self.pages, self.keyboards.trial_url, self.keyboards.link)


def _without_teaser(cable: StoredCable) -> StoredCable:
    return replace(cable, teaser_html="", subtitle=None, title=cable.title[:1000])
