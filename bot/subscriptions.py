"""Readers' subscriptions: /subscribe, /unsubscribe, /status, /daily, and chats that leave."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, time

from telegram import Chat, Message, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import Application, ContextTypes, JobQueue

from bot.services import Services, services
from bot.subscribers import DEFAULT_DAILY_TIME

log = logging.getLogger(__name__)

_ADMIN_STATUSES = {ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}
_GONE_STATUSES = {ChatMemberStatus.BANNED, ChatMemberStatus.LEFT}


async def _may_manage(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
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


async def _reply(message: Message, svc: Services, outcome: str, **extra: object) -> None:
    group = message.chat.type != ChatType.PRIVATE
    await message.reply_html(
        svc.renderer.render_page("subscription", outcome=outcome, group=group, **extra)
    )


async def _manager(
    update: Update, context: ContextTypes.DEFAULT_TYPE
) -> tuple[Message, Chat, Services] | None:
    """The message, chat and services when the sender may change this chat's subscription;
    otherwise None (after telling a group member that only administrators can)."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return None
    svc = services(context)
    if not await _may_manage(update, context):
        await _reply(message, svc, "admins_only")
        return None
    return message, chat, svc


async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Subscribe this chat to new cables (in groups, administrators only)."""
    managed = await _manager(update, context)
    if managed is None:
        return
    message, chat, svc = managed
    added = await svc.subscribers.subscribe(chat.id, chat.type, _title(chat))
    if added:
        log.info("subscribed chat_id=%s type=%s", chat.id, chat.type)
    await _reply(message, svc, "subscribed" if added else "already")


async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop pushes to this chat."""
    managed = await _manager(update, context)
    if managed is None:
        return
    message, chat, svc = managed
    removed = await svc.subscribers.unsubscribe(chat.id)
    if removed:
        unschedule_daily(context.job_queue, chat.id)
        log.info("unsubscribed chat_id=%s", chat.id)
    await _reply(message, svc, "unsubscribed" if removed else "not_subscribed")


async def status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say whether this chat is subscribed, and to what."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    svc = services(context)
    subscriber = await svc.subscribers.get(chat.id)
    await message.reply_html(svc.renderer.render_page("status", subscriber=subscriber))


async def daily(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Turn the daily briefing on (at a time of day, UTC) or off."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    svc = services(context)
    default = DEFAULT_DAILY_TIME.strftime("%H:%M")
    args = [arg.lower() for arg in context.args or []]
    if not args or args[0] not in ("on", "off") or len(args) > 2:
        await _reply(message, svc, "daily_usage", problem="say on or off", default_time=default)
        return
    if not await _may_manage(update, context):
        await _reply(message, svc, "admins_only")
        return
    if args[0] == "off":
        await svc.subscribers.set_daily(chat.id, None)
        unschedule_daily(context.job_queue, chat.id)
        await _reply(message, svc, "daily_off")
        return
    at = parse_time_of_day(args[1]) if len(args) == 2 else DEFAULT_DAILY_TIME
    if at is None:
        await _reply(message, svc, "daily_usage", problem="times look like 07:30 (UTC)",
                     default_time=default)  # fmt: skip
        return
    await svc.subscribers.subscribe(chat.id, chat.type, _title(chat))
    hhmm = at.strftime("%H:%M")
    await svc.subscribers.set_daily(chat.id, hhmm)
    schedule_daily(context.job_queue, chat.id, at)
    await _reply(message, svc, "daily_on", daily_time=hhmm)


async def chat_membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Mark a chat inactive when it blocks or removes the bot, active when it comes back."""
    change = update.my_chat_member
    if change is None:
        return
    gone = change.new_chat_member.status in _GONE_STATUSES
    if await services(context).subscribers.set_blocked(change.chat.id, gone):
        log.info("chat %s chat_id=%s", "left" if gone else "returned", change.chat.id)


async def welcome_back(chat_id: int, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A reader who blocked the bot and pressed Start again gets pushes again."""
    if await services(context).subscribers.set_blocked(chat_id, False):
        log.info("chat returned chat_id=%s", chat_id)


def parse_time_of_day(text: str) -> time | None:
    match = re.fullmatch(r"([01]?\d|2[0-3])[:.h]?([0-5]\d)", text.strip())
    return time(int(match[1]), int(match[2]), tzinfo=UTC) if match else None


# ---------------------------------------------------------------------- daily jobs
def _job_name(chat_id: int) -> str:
    return f"daily:{chat_id}"


def schedule_daily(job_queue: JobQueue | None, chat_id: int, at: time) -> None:  # type: ignore[type-arg]
    """(Re)schedule a chat's daily briefing; the fixed job name replaces any earlier one."""
    if job_queue is None:
        return
    unschedule_daily(job_queue, chat_id)
    job_queue.run_daily(queue_daily_briefing, at, chat_id=chat_id, name=_job_name(chat_id))


def unschedule_daily(job_queue: JobQueue | None, chat_id: int) -> None:  # type: ignore[type-arg]
    if job_queue is None:
        return
    for job in job_queue.get_jobs_by_name(_job_name(chat_id)):
        job.schedule_removal()


async def queue_daily_briefing(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Job: put today's briefing for one chat in the outbox (once per day)."""
    job = context.job
    if job is None or job.chat_id is None:
        return
    svc = services(context)
    subscriber = await svc.subscribers.get(job.chat_id)
    if subscriber is None or not subscriber.active or subscriber.daily_time is None:
        return
    if await svc.outbox.enqueue_daily(job.chat_id, datetime.now(UTC).date().isoformat()):
        svc.worker.wake()


async def restore_daily_jobs(app: Application, svc: Services) -> int:  # type: ignore[type-arg]
    """At start-up, schedule every stored daily briefing again."""
    count = 0
    for subscriber in await svc.subscribers.with_daily_time():
        at = parse_time_of_day(subscriber.daily_time or "")
        if at is not None:
            schedule_daily(app.job_queue, subscriber.chat_id, at)
            count += 1
    return count


def _title(chat: Chat) -> str | None:
    return chat.title or chat.full_name or chat.username
