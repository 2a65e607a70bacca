"""Whether an update's fields have the types the Bot API gives them, where handlers read them.

PTB's de_json builds objects from whatever a body holds: `"chat": {"id": "abc"}` or
`"from": {"id": [1]}` become a Chat and a User whose ids are a string and a list, and a
handler then fails on them (a set lookup, a comparison), at every replay after a kill too.
Telegram never sends such a body; one that comes is refused before it is kept (read_update,
for the webhook and the inbox alike).
"""

from __future__ import annotations

from datetime import datetime

from telegram import (
    Bot,
    CallbackQuery,
    Chat,
    ChatMember,
    InlineQuery,
    Message,
    MessageEntity,
    Update,
    User,
)

# SQLite's INTEGER: an update_id past it cannot be kept.
_MAX_UPDATE_ID = 2**63 - 1


def _whole(value: object) -> bool:
    return type(value) is int  # not bool, which is an int too


def _text(value: object, *, optional: bool = True) -> bool:
    return isinstance(value, str) or (optional and value is None)


def _user(user: User | None) -> bool:
    return user is None or (
        _whole(user.id) and _text(user.first_name, optional=False) and _text(user.username)
        and _text(user.last_name) and _text(user.language_code)
    )  # fmt: skip


def _chat(chat: Chat | None) -> bool:
    return chat is None or (
        _whole(chat.id) and _text(chat.type, optional=False) and _text(chat.title)
        and _text(chat.username)
    )  # fmt: skip


def _entities(entities: object) -> bool:
    return isinstance(entities, tuple) and all(
        isinstance(e, MessageEntity) and _whole(e.offset) and _whole(e.length)
        and _text(e.type, optional=False)
        for e in entities
    )  # fmt: skip


def _message(message: object) -> bool:
    if message is None:
        return True
    if not isinstance(message, Message):
        return False
    return (
        _whole(message.message_id) and isinstance(message.date, datetime)
        and _chat(message.chat) and _user(message.from_user) and _chat(message.sender_chat)
        and _text(message.text) and _text(message.caption)
        and _entities(message.entities) and _entities(message.caption_entities)
        and _whole(message.migrate_to_chat_id or 0) and _whole(message.migrate_from_chat_id or 0)
        and _message(message.reply_to_message)
    )  # fmt: skip


def _callback(query: CallbackQuery | None) -> bool:
    if query is None:
        return True
    maybe = query.message
    return (
        _text(query.id, optional=False) and _user(query.from_user) and _text(query.data)
        and (maybe is None or (_chat(maybe.chat) and _whole(maybe.message_id)))
    )  # fmt: skip


def _inline(query: InlineQuery | None) -> bool:
    return query is None or (
        _text(query.id, optional=False) and _user(query.from_user)
        and _text(query.query, optional=False) and _text(query.offset, optional=False)
    )  # fmt: skip


def well_typed(update: Update) -> bool:
    """Whether the fields handlers read (ids, dates, texts, button data) have their types."""
    messages = (
        update.message, update.edited_message, update.channel_post, update.edited_channel_post
    )  # fmt: skip
    members = [m for m in (update.my_chat_member, update.chat_member) if m is not None]
    return (
        all(_message(message) for message in messages)
        and _callback(update.callback_query)
        and _inline(update.inline_query)
        and all(_member_change(m.chat, m.from_user, m.new_chat_member) for m in members)
    )


def _member_change(chat: Chat, by: User, member: ChatMember) -> bool:
    status = _text(member.status, optional=False)
    return _chat(chat) and _user(by) and _user(member.user) and status


def read_update(body: object, bot: Bot) -> Update | None:
    """The update in a body as Telegram sends it, or None where it is not one: not an
    object, an update_id that is not a whole number SQLite can keep, or fields PTB cannot
    read (`"message": 5`, a message without its date) or whose types are not the Bot API's
    (`"chat": {"id": "abc"}`)."""
    if not isinstance(body, dict):
        return None
    update_id = body.get("update_id")
    if type(update_id) is not int or not 0 <= update_id <= _MAX_UPDATE_ID:
        return None
    try:
        update = Update.de_json(body, bot)
    except Exception:  # PTB raises whatever a field's shape provokes
        return None
    return update if well_typed(update) else None
