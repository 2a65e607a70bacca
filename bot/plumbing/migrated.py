"""A command from a group's old id, handled after the group became a supergroup.

Telegram sends the old group a message with migrate_to_chat_id, and from then on refuses
anything sent to the old id (400 "group chat was upgraded to a supergroup chat", naming the
new id; PTB raises ChatMigrated). A command sent just before the change, or handled after it,
is answered in the new chat: its subscription moves there first (as the service message
moves it), then the command is handled again as sent there.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import CallbackContext

log = logging.getLogger(__name__)


async def answer_in_new_chat(
    update: Update,
    context: CallbackContext[Any, Any, Any, Any],
    new_chat_id: int,
    move_chat: Callable[[int, int], Awaitable[None]],
) -> None:
    """Move the old group's subscription to new_chat_id (move_chat(old, new)) and handle
    update's message again there. Only a group's message is handled again: a supergroup
    never migrates, so this happens once, and a button tap (already answered) is not handled
    twice."""
    chat = update.effective_chat
    if chat is None:
        return
    await move_chat(chat.id, new_chat_id)
    log.info("chat migrated chat_id=%s to=%s (a reply to its old id)", chat.id, new_chat_id)
    if chat.type != ChatType.GROUP or update.message is None:
        return
    body = update.to_dict()
    body["message"]["chat"].update(id=new_chat_id, type=ChatType.SUPERGROUP)
    moved = Update.de_json(body, context.bot)
    await context.application.process_update(moved)
