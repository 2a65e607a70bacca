"""Inline keyboards under briefings: section navigation, the cable, the free trial, sharing."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from briefings.rendering.renderer import Briefing
from briefings.situations import Section, Situation

SECTION_CALLBACK_PREFIX = "section:"
TRIAL_BUTTON_TEXT = "Start 7-day free trial"
SHARE_BUTTON_TEXT = "📤 Share"
OPEN_BOT_BUTTON_TEXT = "Open the bot"
_BUTTONS_PER_ROW = 3


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


def briefing_keyboard(briefing: Briefing, trial_url: str, *, share: bool) -> InlineKeyboardMarkup:
    """Navigation, a link to the cable, the trial (where the section offers it), and Share
    where the bot has inline mode (without it, Share would open a picker that finds nothing)."""
    rows = navigation_rows(briefing.situation, briefing.section.name)
    if briefing.cable is not None:
        label = "Read the cable" if briefing.cable.url_is_post else "Open The Bismarck Cables"
        rows.append([InlineKeyboardButton(label, url=briefing.cable.url)])
    if briefing.section.offers_trial:
        rows.append([InlineKeyboardButton(TRIAL_BUTTON_TEXT, url=trial_url)])
    if share:
        # Opens the chat picker with "@bot <section>" typed: bot/inline.py does the rest.
        rows.append(
            [InlineKeyboardButton(SHARE_BUTTON_TEXT, switch_inline_query=briefing.section.name)]
        )
    return InlineKeyboardMarkup(rows)


def card_keyboard(section: Section, trial_url: str, bot_username: str) -> InlineKeyboardMarkup:
    """Under a briefing shared into another chat: links only, as the bot may not be there."""
    trial = trial_link(trial_url, f"inline-{section.name}")
    deep_link = f"https://t.me/{bot_username}?start={section.name}"
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(TRIAL_BUTTON_TEXT, url=trial)],
            [InlineKeyboardButton(OPEN_BOT_BUTTON_TEXT, url=deep_link)],
        ]
    )


def trial_link(trial_url: str, campaign: str) -> str:
    """TRIAL_URL with Telegram's UTM tags added to whatever query it already has."""
    parts = urlsplit(trial_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k not in ("utm_source", "utm_medium", "utm_campaign")]  # fmt: skip
    query += [("utm_source", "telegram"), ("utm_medium", "bot"), ("utm_campaign", campaign)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def start_keyboard(situation: Situation) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(navigation_rows(situation))


class Keyboards:
    """The keyboards under briefings in this bot's chats, each built once per rendered
    briefing (briefings are themselves rendered once per facts version)."""

    def __init__(self, trial_url: str, *, share: bool) -> None:
        self.trial_url = trial_url
        # Whether BotFather's inline mode is on (getMe says so at start-up): Share needs it.
        self.share = share
        self._built: dict[str, tuple[Briefing, InlineKeyboardMarkup]] = {}

    def briefing(self, briefing: Briefing) -> InlineKeyboardMarkup:
        """The keyboard under a briefing sent in a chat with the bot."""
        key = f"{briefing.situation.id}:{briefing.section.name}"
        built = self._built.get(key)
        if built is not None and built[0] is briefing:
            return built[1]
        keyboard = briefing_keyboard(briefing, self.trial_url, share=self.share)
        self._built[key] = (briefing, keyboard)
        return keyboard
