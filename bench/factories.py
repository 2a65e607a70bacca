"""Small factories for Bot API update objects, as Telegram would send them (the benchmark's
readers and editors, and the tests'), and the shipped situation the tests read."""

from __future__ import annotations

import itertools
from typing import Any

from bot.sandbox.updates import callback_query_update, message_update
from briefings.facts.seed import SEED_DIR, read_seed
from briefings.situations import Section

_ids = itertools.count(1)

READER_ID = 5550001
EDITOR_ID = 5550099
GROUP_ID = -100777


def user(user_id: int = READER_ID, first_name: str = "Reader") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "en"}


def private_chat(user_id: int = READER_ID) -> dict[str, Any]:
    return {"id": user_id, "type": "private", "first_name": "Reader"}


def editor() -> dict[str, Any]:
    return user(EDITOR_ID, "Edith")


def editor_message(text: str, chat: dict[str, Any] | None = None) -> dict[str, Any]:
    """A message from the editor, by default in the editor's private chat."""
    return message(text, chat=chat or private_chat(EDITOR_ID), sender=editor())


def group_chat(chat_id: int = GROUP_ID) -> dict[str, Any]:
    return {"id": chat_id, "type": "supergroup", "title": "Analysts"}


def message(
    text: str | None,
    chat: dict[str, Any] | None = None,
    sender: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A message update; a leading /command gets its bot_command entity, as Telegram adds."""
    chat = chat or private_chat()
    sender = sender or user(chat["id"] if chat["type"] == "private" else READER_ID)
    return message_update(text, chat, sender, next(_ids), **extra)


def callback_query(
    data: str, on_message: dict[str, Any], sender: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A tap on an inline button under on_message (a Message as the bot got it back)."""
    return callback_query_update(data, on_message, sender or user(), str(next(_ids)), "ci-1")


def inline_query(query: str, sender: dict[str, Any] | None = None) -> dict[str, Any]:
    """What Telegram sends while someone types "@bot <query>" in any chat."""
    return {
        "inline_query": {
            "id": str(next(_ids)),
            "from": sender or user(),
            "query": query,
            "offset": "",
            "chat_type": "supergroup",
        }
    }


def _shipped_sections() -> tuple[Section, ...]:
    data = read_seed(SEED_DIR / "cable-001-belarus-troops.toml")
    return tuple(
        Section(s["name"], s["button"], s["summary"], s["kind"], s["title"],
                s.get("offers_trial", False))
        for s in data["sections"]
    )  # fmt: skip


# The shipped situation (the seed's) and its sections, as readers get them by default.
SITUATION = "belarus-ukraine-border-2024"
SECTIONS = _shipped_sections()
