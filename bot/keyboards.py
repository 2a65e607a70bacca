"""Inline keyboards under briefings: section navigation, the cable and the free trial."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from briefings.render import Briefing
from briefings.sections import SECTIONS

SECTION_CALLBACK_PREFIX = "section:"
TRIAL_BUTTON_TEXT = "Start 7-day free trial"
_BUTTONS_PER_ROW = 3


def section_callback(name: str) -> str:
    return f"{SECTION_CALLBACK_PREFIX}{name}"


def navigation_rows(current: str | None = None) -> list[list[InlineKeyboardButton]]:
    """One button per section, the current one marked, three to a row."""
    buttons = [
        InlineKeyboardButton(
            f"· {section.button} ·" if section.name == current else section.button,
            callback_data=section_callback(section.name),
        )
        for section in SECTIONS
    ]
    return [buttons[i : i + _BUTTONS_PER_ROW] for i in range(0, len(buttons), _BUTTONS_PER_ROW)]


def briefing_keyboard(briefing: Briefing, trial_url: str) -> InlineKeyboardMarkup:
    """Navigation, then a link to the cable, then (where the section offers it) the trial."""
    rows = navigation_rows(briefing.section.name)
    if briefing.cable is not None:
        label = "Read the cable" if briefing.cable.url_is_post else "Open The Bismarck Cables"
        rows.append([InlineKeyboardButton(label, url=briefing.cable.url)])
    if briefing.section.offers_trial:
        rows.append([InlineKeyboardButton(TRIAL_BUTTON_TEXT, url=trial_url)])
    return InlineKeyboardMarkup(rows)


def start_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(navigation_rows())
