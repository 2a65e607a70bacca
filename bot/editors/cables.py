"""Editors' commands for the push: /cables, /preview and /publish."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.context import BotContext
from bot.editors.access import command_rest, editor_only, reply_usage
from bot.keyboards import BUTTON_TEXT_LENGTH
from bot.plumbing.callbacks import MAX_ROW_ID, number_after
from bot.plumbing.paging import page_named, page_row, split_pages, turn_page
from bot.push.publisher import PublishError
from briefings.cables.store import StoredCable
from briefings.facts.editor_input import InputError, parse_source_url
from briefings.rendering.shorten import shorten

log = logging.getLogger(__name__)

ATTACH_PREFIX = "attach:"
CABLES_PAGE_PREFIX = "cables:page:"
# What Telegram charges per message sent with allow_paid_broadcast, from the bot's balance.
STARS_PER_PAID_PUSH = 0.1


@editor_only("cables", in_private=True)
async def list_cables(update: Update, context: BotContext) -> None:
    """List the latest cables with their delivery progress (in pages, where they are more
    than a message holds)."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    first = await _cables_page(context, user.id, None)
    assert first is not None  # there is always a first page
    text, keyboard = first
    await message.reply_html(text, reply_markup=keyboard)


@editor_only("cables")
async def cables_page(update: Update, context: BotContext) -> None:
    """Turn the /cables list to the page its ‹ Prev or Next › button names."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    shown = await _cables_page(context, user.id, query.data)
    await turn_page(query, shown, context.pages.render_page("stale_button"))


async def _cables_page(
    context: BotContext, editor_id: int, data: str | None
) -> tuple[str, InlineKeyboardMarkup | None] | None:
    """The page of /cables a button's data names (the first for None): its text and keyboard
    (attach buttons for its cables, ‹ Prev / Next ›); None for no such page."""
    cables = await context.cables.latest(10)
    holds = await context.outbox.holds()
    bursts = await context.publisher.bursts.of_cables([cable.id for cable in cables])
    rows: list[dict[str, Any]] = [
        {
            "cable": cable,
            "progress": await context.outbox.progress(cable.id),
            "held": holds.get(cable.id),
            "burst": bursts.get(cable.id),
        }
        for cable in cables
    ]
    feed = await context.ingest.feed_state()
    working = await context.situations.working(editor_id)

    def render(shown: Sequence[dict[str, Any]], page: int = 0, pages: int = 1) -> str:
        attachable = attach_keyboard([row["cable"] for row in shown], working.id) is not None
        return context.pages.render_page(
            "editor_cables",
            rows=shown,
            feed=feed,
            working=working,
            attachable=attachable,
            paid=context.settings.paid_broadcast,
            star_per_push=STARS_PER_PAID_PUSH,
            page=page,
            pages=pages,
        )

    parts = split_pages(rows, render, len(rows) or 1)
    page = page_named(data, CABLES_PAGE_PREFIX, len(parts))
    if page is None:
        return None
    shown = parts[page]
    keyboard = attach_keyboard(
        [row["cable"] for row in shown], working.id, page_row(CABLES_PAGE_PREFIX, page, len(parts))
    )
    return render(shown, page, len(parts)), keyboard


def attach_keyboard(
    cables: list[StoredCable],
    situation_id: str,
    more: list[list[InlineKeyboardButton]] | None = None,
) -> InlineKeyboardMarkup | None:
    """A button per cable not yet attached to the editor's situation: a tap attaches it; then
    the rows in more (a page's ‹ Prev / Next ›). None without a button: Telegram refuses a
    keyboard without one."""
    rows = [
        [InlineKeyboardButton(shorten(f"📎 {cable.title}", BUTTON_TEXT_LENGTH),
                              callback_data=f"{ATTACH_PREFIX}{cable.rowid}")]
        for cable in cables
        if cable.situation_id != situation_id
    ]  # fmt: skip
    rows.extend(more or [])
    return InlineKeyboardMarkup(rows) if rows else None


@editor_only("attach")
async def attach_cable(update: Update, context: BotContext) -> None:
    """Attach a cable from /cables to the situation the editor works in."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    working = await context.situations.working(user.id)
    rowid = number_after(query.data, ATTACH_PREFIX, below=MAX_ROW_ID + 1)
    cable = await context.cables.attach(rowid, working.id) if rowid else None
    if cable is None:
        await query.answer(context.pages.render_page("stale_button"))
        return
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


@editor_only("publish", in_private=True)
async def publish(update: Update, context: BotContext) -> None:
    """Push a cable by hand (for a late feed): /publish <url>. Once only, as from the feed."""
    message = update.effective_message
    if message is None:
        return
    try:
        url = parse_source_url(command_rest(message))
        published = await context.publisher.publish_url(url)
    except (InputError, PublishError) as exc:
        await reply_usage(message, context, "publish", str(exc))
        return
    cable = await context.cables.get(published.cable_id)
    progress = await context.outbox.progress(published.cable_id)
    log.info("editor published cable id=%s resent=%s", published.cable_id, published.resent)
    queued = progress.get("pending", 0) if published.resent else sum(progress.values())
    text = context.pages.render_page(
        "editor_publish", cable=cable, resent=published.resent, queued=queued
    )
    await message.reply_html(text)
    await context.services.drafting.settled()  # its Review message, before the next reply
