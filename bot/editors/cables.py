"""Editors' commands for the push: /cables, /preview and /publish."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.context import BotContext
from bot.editors.access import command_rest, editor_only
from bot.push.publisher import PublishError
from briefings.cables.store import StoredCable
from briefings.facts.editor_input import InputError, parse_source_url

log = logging.getLogger(__name__)

ATTACH_PREFIX = "attach:"
# What Telegram charges per message sent with allow_paid_broadcast, from the bot's balance.
STARS_PER_PAID_PUSH = 0.1


@editor_only("cables", in_private=True)
async def list_cables(update: Update, context: BotContext) -> None:
    """List the latest cables with their delivery progress."""
    message = update.effective_message
    if message is None:
        return
    cables = await context.cables.latest(10)
    holds = await context.outbox.holds()
    rows = [
        {
            "cable": cable,
            "progress": await context.outbox.progress(cable.id),
            "held": holds.get(cable.id),
        }
        for cable in cables
    ]
    feed = await context.ingest.feed_state()
    user = update.effective_user
    assert user is not None  # editor_only let the update through
    working = await context.situations.working(user.id)
    keyboard = attach_keyboard(cables, working.id)
    await message.reply_html(
        context.pages.render_page(
            "editor_cables",
            rows=rows,
            feed=feed,
            working=working,
            attachable=keyboard is not None,
            paid=context.settings.paid_broadcast,
            star_per_push=STARS_PER_PAID_PUSH,
        ),
        reply_markup=keyboard,
    )


def attach_keyboard(cables: list[StoredCable], situation_id: str) -> InlineKeyboardMarkup | None:
    """A button per cable not yet attached to the editor's situation: a tap attaches it.
    None when every cable is attached: Telegram refuses a keyboard without a button."""
    rows = [
        [InlineKeyboardButton(f"📎 {cable.title[:40]}",
                              callback_data=f"{ATTACH_PREFIX}{cable.rowid}")]
        for cable in cables
        if cable.situation_id != situation_id
    ]  # fmt: skip
    return InlineKeyboardMarkup(rows) if rows else None


@editor_only("attach")
async def attach_cable(update: Update, context: BotContext) -> None:
    """Attach a cable from /cables to the situation the editor works in."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    working = await context.situations.working(user.id)
    try:
        rowid = int((query.data or "").removeprefix(ATTACH_PREFIX))
    except ValueError:
        rowid = -1
    cable = await context.cables.attach(rowid, working.id) if rowid > 0 else None
    if cable is None:
        await query.answer(context.pages.render_page("stale_button"))
        return
    context.desks.changed_all()  # every situation's sources may have changed
    log.info("cable attached id=%s situation=%s", cable.id, working.id)
    await query.answer()
    if update.effective_chat is not None:
        await context.bot.send_message(
            update.effective_chat.id,
            context.pages.render_page("editor_attached", cable=cable, situation=working),
        )


@editor_only("preview", in_private=True)
async def preview(update: Update, context: BotContext) -> None:
    """Send the last cable's push to the editor alone, exactly as subscribers get it."""
    message = update.effective_message
    if message is None:
        return
    latest = await context.cables.latest(1, pushed_only=True)
    cable = latest[0] if latest else None
    await message.reply_html(context.pages.render_page("editor_preview", cable=cable))
    if cable is not None:
        push = context.pushes.cable(cable)
        await context.bot.send_message(message.chat_id, push.text, reply_markup=push.markup)


@editor_only("publish")
async def publish(update: Update, context: BotContext) -> None:
    """Push a cable by hand (for a late feed): /publish <url>. Once only, as from the feed."""
    message = update.effective_message
    if message is None:
        return
    try:
        url = parse_source_url(command_rest(message))
        published = await context.publisher.publish_url(url)
    except (InputError, PublishError) as exc:
        await message.reply_html(context.pages.render_page("editor_publish", problem=str(exc)))
        return
    cable = await context.cables.get(published.cable_id)
    progress = await context.outbox.progress(published.cable_id)
    log.info("editor published cable id=%s resent=%s", published.cable_id, published.resent)
    queued = progress.get("pending", 0) if published.resent else sum(progress.values())
    text = context.pages.render_page(
        "editor_publish", problem=None, cable=cable, resent=published.resent, queued=queued
    )
    await message.reply_html(text)
