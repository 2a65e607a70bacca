"""Editors' commands for the push: /cables, /preview and /publish."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.editors import command_rest, editor_only
from bot.publisher import PublishError
from bot.push_messages import cable_push
from bot.services import services
from briefings.db import fetch_one
from briefings.editor_input import InputError, parse_source_url

log = logging.getLogger(__name__)


@editor_only("cables")
async def list_cables(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the latest cables with their delivery progress."""
    message = update.effective_message
    if message is None:
        return
    svc = services(context)
    rows = [
        {"cable": cable, "progress": await svc.outbox.progress(cable.id)}
        for cable in await svc.cables.latest(10)
    ]
    feed = await fetch_one(svc.store.conn, "SELECT * FROM feed_state LIMIT 1")
    await message.reply_html(svc.renderer.render_page("editor_cables", rows=rows, feed=feed))


@editor_only("preview")
async def preview(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the last cable's push to the editor alone, exactly as subscribers get it."""
    message = update.effective_message
    if message is None:
        return
    svc = services(context)
    latest = await svc.cables.latest(1, pushed_only=True)
    cable = latest[0] if latest else None
    await message.reply_html(svc.renderer.render_page("editor_preview", cable=cable))
    if cable is not None:
        push = cable_push(cable, svc.renderer, svc.settings.trial_url)
        await context.bot.send_message(message.chat_id, push.text, reply_markup=push.markup)


@editor_only("publish")
async def publish(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Push a cable by hand (for a late feed): /publish <url>. Once only, as from the feed."""
    message = update.effective_message
    if message is None:
        return
    svc = services(context)
    try:
        url = parse_source_url(command_rest(message))
        cable_id = await svc.publisher.publish_url(url)
    except (InputError, PublishError) as exc:
        await message.reply_html(svc.renderer.render_page("editor_publish", problem=str(exc)))
        return
    cable = await svc.cables.get(cable_id)
    progress = await svc.outbox.progress(cable_id)
    log.info("editor published cable id=%s", cable_id)
    await message.reply_html(
        svc.renderer.render_page(
            "editor_publish", problem=None, cable=cable, queued=sum(progress.values())
        )
    )
