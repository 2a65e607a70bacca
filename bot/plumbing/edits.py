"""Edited messages are not commands: the bot acts on what was sent, once.

Telegram sends an update when a user edits a message. Acting on it would run a command again
(30 edits of /claims gave 30 briefings, an edited one-line /add added a second fact, an edit
during the guided /add answered its current step) and would bypass the flood limit. So, as
most bots do, the bot ignores edits everywhere: a corrected command is sent anew.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import ApplicationHandlerStop, CallbackContext, TypeHandler

log = logging.getLogger(__name__)


async def ignore_edits(update: Update, _: CallbackContext[Any, Any, Any, Any]) -> None:
    """Stop an edited message (or channel post) before any handler sees it."""
    if update.edited_message is not None or update.edited_channel_post is not None:
        log.debug("edit ignored update_id=%s", update.update_id)
        raise ApplicationHandlerStop


def edits_handler() -> TypeHandler[Update, Any, None]:
    return TypeHandler(Update, ignore_edits)
