"""Button taps: every one answered, and the numbers in their data read within bounds.

Telegram shows a spinner on a button until its tap is answered (answerCallbackQuery), so a
tap no handler takes (a button of an older version of the bot, a flow no longer open, data
nobody sends) still gets a short answer. A button's data is whatever a client sends, so a
number in it is read only as a whole number in range: 10**30 or -1 is a stale button, not an
error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.ext import CallbackContext, CallbackQueryHandler

log = logging.getLogger(__name__)

# SQLite's largest INTEGER: a row id past it cannot be looked up at all.
MAX_ROW_ID = 2**63 - 1
# More digits than any bound here: longer is refused before it is turned into a number.
_MAX_DIGITS = 19


def number_after(data: str | None, prefix: str, *, below: int) -> int | None:
    """The whole number after prefix in a button's data, if it is one from 0 up to below
    (exclusive); None for anything else: no prefix, signs, spaces, other digits than 0-9, or
    a number out of range."""
    if data is None or not data.startswith(prefix):
        return None
    digits = data[len(prefix) :]
    if not (0 < len(digits) <= _MAX_DIGITS and digits.isascii() and digits.isdigit()):
        return None
    number = int(digits)
    return number if number < below else None


def fallback_handler(stale: Callable[[], str]) -> CallbackQueryHandler[Any, None]:
    """The last callback handler of its group: takes whatever tap the others left, and
    answers it with stale(), the words for a button out of date."""

    async def answer_unhandled(update: Update, _: CallbackContext[Any, Any, Any, Any]) -> None:
        query = update.callback_query
        if query is None:
            return
        log.info("button tap nobody handles user_id=%s", query.from_user.id)
        await query.answer(stale())

    return CallbackQueryHandler(answer_unhandled)
