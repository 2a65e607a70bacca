"""Editors' commands for the push: /cables, /preview and /publish."""

from __future__ import annotations

import logging

from telegram import Update

from bot.context import BotContext
from bot.editors.access import command_rest, editor_only
from bot.push.publisher import PublishError
from briefings.facts.editor_input import InputError, parse_source_url

log = logging.getLogger(__name__)


@editor_only("cables")
async def list_cables(update: Update, context: BotContext) -> None:
    """List the latest cables with their delivery progress."""
    message = update.effective_message
    if message is None:
        return
    rows = [
        {"cable": cable, "progress": await context.outbox.progress(cable.id)}
        for cable in await context.cables.latest(10)
    ]
    feed = await context.ingest.feed_state()
    await message.reply_html(context.renderer.render_page("editor_cables", rows=rows, feed=feed))


@editor_only("preview")
async def preview(update: Update, context: BotContext) -> None:
    """Send the last cable's push to the editor alone, exactly as subscribers get it."""
    message = update.effective_message
    if message is None:
        return
    latest = await context.cables.latest(1, pushed_only=True)
    cable = latest[0] if latest else None
    await message.reply_html(context.renderer.render_page("editor_preview", cable=cable))
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
        cable_id = await context.publisher.publish_url(url)
    except (InputError, PublishError) as exc:
        await message.reply_html(context.renderer.render_page("editor_publish", problem=str(exc)))
        return
    cable = await context.cables.get(cable_id)
    progress = await context.outbox.progress(cable_id)
    log.info("editor published cable id=%s", cable_id)
    await message.reply_html(
        context.renderer.render_page(
            "editor_publish", problem=None, cable=cable, queued=sum(progress.values())
        )
    )
