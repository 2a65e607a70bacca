"""What a push looks like: the cable's teaser with its two buttons, or the daily brief."""

from __future__ import annotations

from dataclasses import dataclass, replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.keyboards import TRIAL_BUTTON_TEXT, briefing_keyboard, trial_link
from briefings.cables import StoredCable
from briefings.render import BriefingRenderer
from briefings.telegram_html import MAX_MESSAGE_LENGTH, visible_length


@dataclass(frozen=True, slots=True)
class Push:
    text: str
    markup: InlineKeyboardMarkup


def cable_push(cable: StoredCable, renderer: BriefingRenderer, trial_url: str) -> Push:
    """The message every subscriber gets for a new cable."""
    text = renderer.render_page("cable_push", cable=cable)
    if visible_length(text) > MAX_MESSAGE_LENGTH:  # a feed with an absurd title: drop the teaser
        text = renderer.render_page("cable_push", cable=_without_teaser(cable))
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Read the cable", url=cable.url)],
            [InlineKeyboardButton(TRIAL_BUTTON_TEXT, url=trial_link(trial_url, cable.id))],
        ]
    )
    return Push(text, markup)


async def daily_push(renderer: BriefingRenderer, trial_url: str, *, share: bool) -> Push:
    """The daily briefing: /brief as it stands, with its usual keyboard."""
    briefing = await renderer.render("brief")
    text = renderer.render_page("daily_push", briefing=briefing.text)
    if visible_length(text) > MAX_MESSAGE_LENGTH:
        text = briefing.text
    return Push(text, briefing_keyboard(briefing, trial_url, share=share))


def _without_teaser(cable: StoredCable) -> StoredCable:
    return replace(cable, teaser_html="", subtitle=None, title=cable.title[:1000])
