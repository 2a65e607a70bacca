"""Readers' subscriptions: /subscribe [updates], /unsubscribe, /status, /daily, and chats
that leave."""

from __future__ import annotations

import logging

from telegram import Chat, Message, Update
from telegram.constants import ChatMemberStatus, ChatType

from bot.context import BotContext
from bot.push.daily import (
    DEFAULT_TIME,
    DEFAULT_ZONE,
    DailySetting,
    find_zone,
    parse_time_of_day,
)
from bot.push.outbox import migrate_chat

log = logging.getLogger(__name__)

_ADMIN_STATUSES = {ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}
_GONE_STATUSES = {ChatMemberStatus.BANNED, ChatMemberStatus.LEFT}


async def _may_manage(update: Update, context: BotContext) -> bool:
    """Anyone in a private chat; in a group, only its administrators."""
    chat, message, user = update.effective_chat, update.effective_message, update.effective_user
    if chat is None or chat.type == ChatType.PRIVATE:
        return True
    if message is not None and message.sender_chat is not None:
        return message.sender_chat.id == chat.id  # an anonymous administrator
    if user is None:
        return False
    member = await context.bot.get_chat_member(chat.id, user.id)
    return member.status in _ADMIN_STATUSES


async def _reply(message: Message, context: BotContext, outcome: str, **extra: object) -> None:
    group = message.chat.type != ChatType.PRIVATE
    await message.reply_html(
        context.pages.render_page("subscription", outcome=outcome, group=group, **extra)
    )


async def _manager(update: Update, context: BotContext) -> tuple[Message, Chat] | None:
    """The message and chat when the sender may change this chat's subscription; otherwise
    None (after telling a group member that only administrators can)."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return None
    if not await _may_manage(update, context):
        await _reply(message, context, "admins_only")
        return None
    return message, chat


async def subscribe(update: Update, context: BotContext) -> None:
    """Subscribe this chat to new cables, and with `updates` to what changed in the
    situations too (in groups, administrators only)."""
    words = [word.lower() for word in context.args or []]
    if words not in ([], ["updates"]):
        message = update.effective_message
        if message is not None:
            await _reply(message, context, "subscribe_usage")
        return
    await subscribe_chat(update, context, updates=words == ["updates"])


async def subscribe_chat(update: Update, context: BotContext, *, updates: bool = False) -> None:
    """Subscribe the update's chat to new cables, and where asked to what changed too."""
    managed = await _manager(update, context)
    if managed is None:
        return
    message, chat = managed
    added = await context.subscribers.subscribe(chat.id, chat.type, _title(chat))
    if added:
        context.stats.count("joined")
        log.info("subscribed chat_id=%s type=%s", chat.id, chat.type)
    if updates:
        before = await context.subscribers.get(chat.id)
        await context.services.updates.start_from_now(chat.id)
        had = before is not None and before.updates
        await _reply(message, context, "updates_already" if had else "updates_on")
        return
    await _reply(message, context, "subscribed" if added else "already")


async def subscribe_button(update: Update, context: BotContext) -> None:
    """The Subscribe button under /start: as /subscribe, answered in the chat."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    await subscribe_chat(update, context)


async def unsubscribe(update: Update, context: BotContext) -> None:
    """Stop pushes to this chat: new cables and the daily briefing."""
    managed = await _manager(update, context)
    if managed is None:
        return
    message, chat = managed
    removed = await context.subscribers.unsubscribe(chat.id)
    if removed:
        context.stats.count("left")
        log.info("unsubscribed chat_id=%s", chat.id)
    await _reply(message, context, "unsubscribed" if removed else "not_subscribed")


async def status(update: Update, context: BotContext) -> None:
    """Say whether this chat is subscribed, and to what."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    subscriber = await context.subscribers.get(chat.id)
    await message.reply_html(context.pages.render_page("status", subscriber=subscriber))


async def daily(update: Update, context: BotContext) -> None:
    """Say what is set, or turn the daily briefing on (at a time, in a time zone) or off."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    args = context.args or []
    setting = await context.daily.setting(chat.id)
    if not args:
        await _reply(message, context, "daily_show", setting=setting, **_usage())
        return
    problem = _daily_words_problem(args)
    if problem:
        await _reply(message, context, "daily_usage", problem=problem, **_usage())
        return
    if not await _may_manage(update, context):
        await _reply(message, context, "admins_only")
        return
    if args[0].lower() == "off":
        if setting is not None:
            await context.daily.clear(chat.id)
        # What still comes to this chat depends on its subscription to new cables.
        subscriber = await context.subscribers.get(chat.id)
        subscribed = subscriber is not None and subscriber.subscribed
        await _reply(message, context, "daily_off", was_on=setting is not None,
                     subscribed=subscribed)  # fmt: skip
        return
    remembered = await _remembered_zone(context, chat.id)
    wanted, problem = read_daily_setting(args[1:], setting, remembered)
    if wanted is None:
        await _reply(message, context, "daily_usage", problem=problem, **_usage())
        return
    # The daily briefing comes with the subscription to new cables (see README).
    await context.subscribers.subscribe(chat.id, chat.type, _title(chat))
    await context.daily.set(chat.id, wanted)
    log.info("daily on chat_id=%s at=%s zone=%s", chat.id, wanted.hhmm, wanted.zone)
    await _reply(message, context, "daily_on", setting=wanted)


_ONE_ONLY = {
    "time": "give one time only, e.g. 07:30",
    "zone": "give one time zone only, e.g. Europe/Kyiv",
}


def _daily_words_problem(args: list[str]) -> str:
    """What is wrong with /daily's first word, or with words after off ("" when nothing)."""
    if args[0].lower() not in ("on", "off"):
        return "say on or off"
    if args[0].lower() == "off" and len(args) > 1:
        return "off takes nothing after it"
    return ""


def read_daily_setting(
    words: list[str], current: DailySetting | None, zone: str
) -> tuple[DailySetting | None, str]:
    """Read `[HH:MM] [Area/City]` (either order, either left out): a setting, or a problem.

    What is left out stays as it was: the chat's time (08:00 at first), its zone (UTC)."""
    at = current.at if current is not None else DEFAULT_TIME
    seen: set[str] = set()  # "time", "zone": each may be given once
    for word in words:
        if (time_given := parse_time_of_day(word)) is not None:
            at, kind = time_given, "time"
        elif (zone_given := find_zone(word)) is not None:
            zone, kind = zone_given, "zone"
        else:
            return None, (
                f"times look like 07:30 and time zones like Europe/Kyiv: {word[:40]!r} is neither"
            )
        if kind in seen:
            return None, _ONE_ONLY[kind]
        seen.add(kind)
    return DailySetting(at, zone), ""


async def _remembered_zone(context: BotContext, chat_id: int) -> str:
    subscriber = await context.subscribers.get(chat_id)
    return (subscriber.daily_tz if subscriber is not None else None) or DEFAULT_ZONE


def _usage() -> dict[str, object]:
    return {"default_time": DEFAULT_TIME.strftime("%H:%M"), "default_zone": DEFAULT_ZONE}


async def chat_membership(update: Update, context: BotContext) -> None:
    """Mark a chat inactive when it blocks or removes the bot, active when it comes back."""
    change = update.my_chat_member
    if change is None:
        return
    gone = change.new_chat_member.status in _GONE_STATUSES
    if await context.subscribers.set_blocked(change.chat.id, gone):
        log.info("chat %s chat_id=%s", "left" if gone else "returned", change.chat.id)


async def chat_migrated(update: Update, context: BotContext) -> None:
    """A group became a supergroup: its subscription carries over to the new id."""
    message = update.effective_message
    if message is None or message.migrate_to_chat_id is None:
        return
    await migrate_chat(context.services.db, message.chat.id, message.migrate_to_chat_id)
    log.info("chat migrated chat_id=%s to=%s", message.chat.id, message.migrate_to_chat_id)


async def welcome_back(chat_id: int, context: BotContext) -> None:
    """A reader who blocked the bot and pressed Start again gets pushes again."""
    if await context.subscribers.set_blocked(chat_id, False):
        log.info("chat returned chat_id=%s", chat_id)


def _title(chat: Chat) -> str | None:
    return chat.title or chat.full_name or chat.username
