"""What a push looks like: the cable's teaser with its two buttons, the daily brief, or what
changed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.desks import Desks
from bot.keyboards import TRIAL_BUTTON_TEXT, Keyboard, Keyboards, LinkMaker
from bot.push.outbox import Delivery
from briefings.cables.store import CableStore, StoredCable
from briefings.facts.changes import changes
from briefings.rendering.links import tagged
from briefings.rendering.renderer import BriefingRenderer, Pages, credit_of
from briefings.rendering.telegram_html import MAX_MESSAGE_LENGTH, visible_length
from briefings.stamp import stamp_to_keep

# Update pushes kept composed, at most (one per span of versions; a broadcast has a few).
_SPANS_KEPT = 64


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


async def daily_push(
    renderer: BriefingRenderer,
    keyboards: Keyboards,
    *,
    late: bool,
    since: int | None = None,
    until: int | None = None,
    since_day: str | None = None,
) -> Push:
    """The daily briefing: the default situation's brief as it stands, with its keyboard, led
    by what changed since the chat's last daily (versions since to until); where nothing
    did, one line saying so. A chat's first daily is the brief alone."""
    situation = await renderer.store.situation()
    brief = next(s.name for s in situation.sections if s.kind == "brief")
    briefing = await renderer.render(brief)
    keyboard = keyboards.briefing(briefing, campaign="daily")
    if since is None or until is None:
        found = None
    else:
        found = await changes(renderer.store, since, until)
        if not found:
            text = renderer.render_page("daily_unchanged", situation=situation, day=since_day)
            return Push(text, keyboard)
    credit = credit_of(await renderer.facts_now())
    text = renderer.render_page("daily_push", briefing=briefing.text, late=late, changes=found,
                                credit=credit, since_day=since_day)  # fmt: skip
    if visible_length(text) > MAX_MESSAGE_LENGTH:
        text = briefing.text
    return Push(text, keyboard)


async def update_push(
    renderer: BriefingRenderer, keyboards: Keyboards, since: int, until: int
) -> Push | None:
    """What changed in a situation between two versions, every change (as many as one
    message holds), with the brief's keyboard; None where nothing did."""
    found = await changes(renderer.store, since, until)
    if not found:
        return None
    situation = await renderer.store.situation()
    brief = next(s for s in situation.sections if s.kind == "brief")
    briefing = await renderer.render(brief.name)
    credit = credit_of(await renderer.facts_now())
    shown = len(found)
    while True:
        text = renderer.render_page("update_push", situation=situation, brief=brief,
                                    changes=found[-shown:], more=len(found) - shown,
                                    credit=credit)  # fmt: skip
        if visible_length(text) <= MAX_MESSAGE_LENGTH or shown == 1:
            break
        shown -= 1  # the oldest give way, counted
    return Push(text, keyboards.briefing(briefing, campaign="update"))


class PushComposer:
    """The message for each outbox row; a cable's push, and an update push for each span,
    composed once per stamp of the content (briefings/stamp.py) and reused."""

    def __init__(
        self,
        pages: Pages,
        desks: Desks,
        cables: CableStore,
        keyboards: Keyboards,
        claim: Callable[[Delivery], Awaitable[bool]] | None = None,
    ) -> None:
        self.pages = pages
        self.desks = desks
        self.cables = cables
        self.keyboards = keyboards
        self.claim = claim
        self._stamp: int | None = None  # of the content the pushes below were composed from
        self._cable_push: tuple[str, Push] | None = None  # one cable is broadcast at a time
        # Update pushes by their span (situation, since, until): most chats share a few.
        self._update_pushes: dict[tuple[str, int, int], Push | None] = {}

    async def compose(self, delivery: Delivery) -> Push | None:
        """The message for an outbox row, or None when there is nothing to send any more."""
        stamp = await stamp_to_keep(self.desks.db)
        if stamp is None or stamp != self._stamp:  # composed from content since rewritten
            self._stamp = stamp
            self._cable_push = None
            self._update_pushes.clear()
        if delivery.kind == "daily":
            desk = await self.desks.current()
            if (
                delivery.situation_id is not None
                and delivery.situation_id != desk.store.situation_id
            ):
                desk = self.desks.get(delivery.situation_id)
            return await daily_push(desk.renderer, self.keyboards, late=delivery.late,
                                    since=delivery.since, until=delivery.until,
                                    since_day=delivery.since_day)  # fmt: skip
        if delivery.kind == "update":
            return await self._update(delivery, stamp)
        if delivery.cable_id is None:
            return None
        if self._cable_push is not None and self._cable_push[0] == delivery.cable_id:
            return self._cable_push[1]
        cable = await self.cables.get(delivery.cable_id)
        if cable is None:
            return None
        push = self.cable(cable)
        if self._keeps(stamp):
            self._cable_push = (delivery.cable_id, push)
        return push

    def _keeps(self, stamp: int | None) -> bool:
        """Whether what was composed at stamp may be kept: another compose may have found
        the content rewritten meanwhile."""
        return stamp is not None and stamp == self._stamp

    async def _update(self, delivery: Delivery, stamp: int | None) -> Push | None:
        """An update push, composed once per span of versions; claimed before it goes (see
        Outbox.claim): one claimed already may have arrived, and is not sent again."""
        if delivery.situation_id is None or delivery.since is None or delivery.until is None:
            return None
        if self.claim is not None and not await self.claim(delivery):
            return None
        span = (delivery.situation_id, delivery.since, delivery.until)
        if span in self._update_pushes:
            return self._update_pushes[span]
        renderer = self.desks.get(delivery.situation_id).renderer
        push = await update_push(renderer, self.keyboards, delivery.since, delivery.until)
        if self._keeps(stamp):
            if len(self._update_pushes) > _SPANS_KEPT:
                self._update_pushes.clear()
            self._update_pushes[span] = push
        return push

    def cable(self, cable: StoredCable) -> Push:
        """A cable's push as subscribers get it."""
        return cable_push(cable, self.pages, self.keyboards.trial_url, self.keyboards.link)


def _without_teaser(cable: StoredCable) -> StoredCable:
    return replace(cable, teaser_html="", subtitle=None, title=cable.title[:1000])
