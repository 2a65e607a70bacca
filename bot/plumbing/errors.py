"""When a handler fails: the user gets a short apology, the log gets everything, and editors
get each distinct error once per interval (with a count of its repeats since), never a
traceback per update. The bot token appears in none of them.

Telegram's expected answers (a chat that blocked the bot or took its rights away, a message
already as it should be, a button or inline query answered too late, a flood wait) are
logged in one line, not reported.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.error import ChatMigrated, NetworkError, TelegramError
from telegram.ext import CallbackContext

from bot.plumbing.error_digest import REPORT_INTERVAL_SECONDS, ErrorDigest, expected, signature
from bot.plumbing.logs import redact
from bot.plumbing.migrated import answer_in_new_chat

log = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong on our side. Please try again in a moment."
# Room left in a 4,096-character message for the header around each piece of traceback.
_CHUNK = 3500


@dataclass(frozen=True, slots=True, eq=False)
class ErrorHandler:
    """The application's error handler. What it needs of the bot comes as values and
    callables: the services open after the handlers are registered, so each callable is
    called at the error, and only once is_open() says they are."""

    token: str  # kept out of every report
    editors: Collection[int]  # who hears of errors
    is_open: Callable[[], bool]  # whether the services are open
    page: Callable[..., str]  # a reply from its template
    digest: Callable[[], ErrorDigest]  # which errors the editors heard of lately
    move_chat: Callable[[int, int], Awaitable[None]]  # a group's subscription, to its new id

    async def __call__(self, update: object, context: CallbackContext[Any, Any, Any, Any]) -> None:
        """Log the error, apologise to the user, report it to the editors (once per interval)."""
        error = context.error
        if update is None and isinstance(error, NetworkError):
            # Polling lost the Bot API for a moment; PTB retries on its own. One line will do.
            log.warning("bot api unreachable, retrying: %s", error)
            return
        if isinstance(error, ChatMigrated) and isinstance(update, Update):
            # The group became a supergroup: the answer goes there, and it is no error of ours.
            if self.is_open():
                await answer_in_new_chat(update, context, error.new_chat_id, self.move_chat)
            return
        if expected(error):
            log.warning("telegram said no, as it may (%s): %s", _describe(update), error)
            return
        log.error("error handling update", exc_info=error)
        if isinstance(update, Update):
            await self._apologise(update, context)
        await self._report_to_editors(update, context)

    async def _apologise(
        self, update: Update, context: CallbackContext[Any, Any, Any, Any]
    ) -> None:
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(APOLOGY[:200])
            elif update.effective_message is not None and update.effective_message.text:
                text = self.page("error") if self.is_open() else APOLOGY
                await context.bot.send_message(update.effective_message.chat_id, text)
        except TelegramError as exc:
            log.warning("could not apologise: %s", exc)

    async def _report_to_editors(
        self, update: object, context: CallbackContext[Any, Any, Any, Any]
    ) -> None:
        if not self.is_open() or context.error is None:
            return
        repeats = self.digest().report(context.error)
        if repeats is None:
            log.info("error already reported to the editors lately: %s", signature(context.error))
            return
        trace = redact("".join(traceback.format_exception(context.error)), [self.token])
        where = _describe(update)
        parts = [trace[i : i + _CHUNK] for i in range(0, len(trace), _CHUNK)] or [""]
        for editor_id in sorted(self.editors):
            for number, part in enumerate(parts, start=1):
                text = self.page(
                    "error_report", where=where, number=number, count=len(parts), trace=part,
                    repeats=repeats, minutes=REPORT_INTERVAL_SECONDS // 60,
                )  # fmt: skip
                try:
                    await context.bot.send_message(editor_id, text)
                except TelegramError as exc:
                    log.warning("could not report the error to editor %s: %s", editor_id, exc)
                    break


def _describe(update: object) -> str:
    """Where it happened, without the user's text: update id, chat, user, command name."""
    if not isinstance(update, Update):
        return "outside an update"
    bits = [f"update {update.update_id}"]
    if update.effective_chat is not None:
        bits.append(f"chat {update.effective_chat.id}")
    if update.effective_user is not None:
        bits.append(f"user {update.effective_user.id}")
    message = update.effective_message
    if message is not None and message.text and message.text.startswith("/"):
        bits.append(message.text.split(maxsplit=1)[0][:40])
    elif update.callback_query is not None:
        bits.append("button")
    return ", ".join(bits)
