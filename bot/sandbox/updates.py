"""Updates as Telegram sends them: what a user's message or button tap looks like to the bot
(`cables-bot try` sends them; the tests build theirs on these)."""

from __future__ import annotations

import time
from typing import Any


def message_update(
    text: str | None, chat: dict[str, Any], sender: dict[str, Any], message_id: int,
    **extra: Any,
) -> dict[str, Any]:  # fmt: skip
    """A message update; a leading /command gets its bot_command entity, as Telegram adds."""
    body: dict[str, Any] = {
        "message_id": message_id, "date": int(time.time()), "chat": chat, "from": sender,
        **extra,
    }  # fmt: skip
    if text is not None:
        body["text"] = text
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0]) if text.strip() else 1
            body["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return {"message": body}


def callback_query_update(
    data: str, on_message: dict[str, Any], sender: dict[str, Any], query_id: str,
    chat_instance: str,
) -> dict[str, Any]:  # fmt: skip
    """A tap on an inline button under on_message (a Message as the bot got it back)."""
    return {
        "callback_query": {
            "id": query_id, "from": sender, "chat_instance": chat_instance,
            "message": on_message, "data": data,
        }
    }  # fmt: skip
