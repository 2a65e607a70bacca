"""Inline keyboards under briefings: section navigation, the cable, the free trial, sharing."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from briefings.rendering.links import tagged
from briefings.rendering.renderer import Briefing
from briefings.rendering.shorten import shorten
from briefings.situations import Section, Situation

SECTION_CALLBACK_PREFIX = "section:"
SUBSCRIBE_CALLBACK = "subscribe"
TRIAL_BUTTON_TEXT = "Start 7-day free trial"
SUBSCRIBE_BUTTON_TEXT = "🔔 Subscribe: new cables sent here"
SHARE_BUTTON_TEXT = "📤 Share"
OPEN_BOT_BUTTON_TEXT = "Open the bot"
_BUTTONS_PER_ROW = 3
# A button's text past this is cut: a phone shows no more of it on one line.
BUTTON_TEXT_LENGTH = 60
# What Telegram passes on as a deep link's start parameter: up to 64 of these characters.
_START_PARAMETER = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Makes a newsletter link for a surface (campaign): tagged, and counted in webhook mode
# (bot/stats/links.py).
LinkMaker = Callable[[str, str], str]


class Keyboard(InlineKeyboardMarkup):
    """An inline keyboard turned into JSON once. PTB serialises a message's markup on every
    send (about 40 µs for a briefing's keyboard); these are built once per rendered briefing
    and sent thousands of times unchanged. Frozen, as every TelegramObject is; whoever is
    given the dict only reads it (json.dumps)."""

    __slots__ = ("_as_dict",)

    def to_dict(self, recursive: bool = True) -> dict[str, Any]:
        if not recursive:
            return super().to_dict(recursive)
        as_dict: dict[str, Any] | None = getattr(self, "_as_dict", None)
        if as_dict is None:
            as_dict = self._as_dict = super().to_dict()
        return as_dict


def section_callback(name: str, situation_id: str) -> str:
    """A section button's data: the section and its situation (64 bytes at most)."""
    return f"{SECTION_CALLBACK_PREFIX}{name}:{situation_id}"[:64]


def navigation_rows(
    situation: Situation, current: str | None = None
) -> list[list[InlineKeyboardButton]]:
    """One button per section of the situation, the current one marked, three to a row."""
    buttons = [
        InlineKeyboardButton(
            f"· {section.button} ·" if section.name == current else section.button,
            callback_data=section_callback(section.name, situation.id),
        )
        for section in situation.sections
    ]
    return [buttons[i : i + _BUTTONS_PER_ROW] for i in range(0, len(buttons), _BUTTONS_PER_ROW)]


def briefing_keyboard(
    briefing: Briefing,
    trial_url: str,
    *,
    share: bool,
    campaign: str | None = None,
    link: LinkMaker = tagged,
) -> InlineKeyboardMarkup:
    """Navigation, a link to the cable, the trial (under the brief, and where the section
    offers it), and Share where the bot has inline mode (without it, Share would open a picker
    that finds nothing). Links are tagged with campaign (the section's name by default)."""
    campaign = campaign or briefing.section.name
    rows = navigation_rows(briefing.situation, briefing.section.name)
    if briefing.cable is not None:
        label = "Read the cable" if briefing.cable.url_is_post else "Open The Bismarck Cables"
        rows.append([InlineKeyboardButton(label, url=link(briefing.cable.url, campaign))])
    if briefing.section.offers_trial or briefing.section.kind == "brief":
        rows.append([InlineKeyboardButton(TRIAL_BUTTON_TEXT, url=link(trial_url, campaign))])
    if share:
        # Opens the chat picker with "@bot <section>" typed: bot/readers/inline.py does the rest.
        rows.append(
            [InlineKeyboardButton(SHARE_BUTTON_TEXT, switch_inline_query=briefing.section.name)]
        )
    return Keyboard(rows)


def deep_link(bot_username: str, section: str, situation_id: str | None = None) -> str | None:
    """The t.me link that opens a section (of situation_id, or the default one) in a private
    chat with the bot, as /start does with it (bot/readers/sections.py); None where the
    parameter would be longer than Telegram passes on."""
    payload = section if situation_id is None else f"{section}-{situation_id}"
    if not _START_PARAMETER.fullmatch(payload):
        return None
    return f"https://t.me/{bot_username}?start={payload}"


def situations_keyboard(
    situations: Iterable[Situation], more: Iterable[list[InlineKeyboardButton]] = ()
) -> InlineKeyboardMarkup | None:
    """Under /situations: one button per situation, opening its brief (its first section
    where it has no brief) in place of the list; then the rows in more (a page's ‹ Prev /
    Next ›)."""
    rows = []
    for situation in situations:
        first = next((s for s in situation.sections if s.kind == "brief"), None)
        first = first or (situation.sections[0] if situation.sections else None)
        if first is not None:
            label = shorten(f"{first.button}: {situation.title}", BUTTON_TEXT_LENGTH)
            rows.append([InlineKeyboardButton(
                label, callback_data=section_callback(first.name, situation.id)
            )])  # fmt: skip
    rows.extend(more)
    return Keyboard(rows) if rows else None


def card_keyboard(
    section: Section, trial_url: str, bot_username: str, link: LinkMaker = tagged
) -> InlineKeyboardMarkup:
    """Under a briefing shared into another chat: links only, as the bot may not be there."""
    trial = link(trial_url, f"inline-{section.name}")
    deep_link = f"https://t.me/{bot_username}?start={section.name}"
    return Keyboard(
        [
            [InlineKeyboardButton(TRIAL_BUTTON_TEXT, url=trial)],
            [InlineKeyboardButton(OPEN_BOT_BUTTON_TEXT, url=deep_link)],
        ]
    )


def start_keyboard(
    situation: Situation, trial_url: str, link: LinkMaker = tagged
) -> InlineKeyboardMarkup:
    """Under /start: the sections, then subscribing (a tap) and the free trial."""
    return Keyboard(
        [
            *navigation_rows(situation),
            [InlineKeyboardButton(SUBSCRIBE_BUTTON_TEXT, callback_data=SUBSCRIBE_CALLBACK)],
            [InlineKeyboardButton(TRIAL_BUTTON_TEXT, url=link(trial_url, "start"))],
        ]
    )


class Keyboards:
    """The keyboards under briefings in this bot's chats, each built once per rendered
    briefing (briefings are themselves rendered once per stamp of the content)."""

    def __init__(self, trial_url: str, *, share: bool, links: LinkMaker = tagged) -> None:
        self.trial_url = trial_url
        self.link = links
        # Whether BotFather's inline mode is on (getMe says so at start-up): Share needs it.
        self.share = share
        self._built: dict[str, tuple[Briefing, InlineKeyboardMarkup]] = {}

    def briefing(self, briefing: Briefing, campaign: str | None = None) -> InlineKeyboardMarkup:
        """The keyboard under a briefing sent in a chat with the bot (its links tagged with
        campaign: the section's name unless another surface, the daily push, says)."""
        key = f"{briefing.situation.id}:{briefing.section.name}:{campaign}"
        built = self._built.get(key)
        if built is not None and built[0] is briefing:
            return built[1]
        keyboard = briefing_keyboard(
            briefing, self.trial_url, share=self.share, campaign=campaign, link=self.link
        )
        self._built[key] = (briefing, keyboard)
        return keyboard
