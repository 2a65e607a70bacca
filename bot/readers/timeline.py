"""/timeline <fact key or section>: a figure's values over time, a chart and its values in
text under it (the chart drawn in a thread, like the forces chart)."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update

from bot.context import BotContext
from briefings.facts.models import Fact
from briefings.rendering.telegram_html import MAX_CAPTION_LENGTH, visible_length
from briefings.rendering.timeline_data import Timeline, timeline_of

log = logging.getLogger(__name__)


async def timeline(update: Update, context: BotContext) -> None:
    """Send a figure's values over time: /timeline <fact key or section>."""
    message = update.effective_message
    if message is None:
        return
    desk = await context.desks.current()
    facts = [fact for fact in await desk.store.facts() if fact.value.kind != "text"]
    asked = (context.args or [""])[0].lower()
    key = await _key_for(asked, facts, context, desk.store.situation_id)
    found = await timeline_of(desk.store, key) if key else None
    if found is None:
        keys = [fact.key for fact in facts][:12]
        await message.reply_html(context.pages.render_page("timeline_usage", keys=keys,
                                                           asked=asked[:40]))  # fmt: skip
        return
    text = context.pages.render_page("timeline", timeline=found)
    try:
        png = await asyncio.to_thread(_draw, found)
    except Exception:  # matplotlib's failures are many; the values must still go out
        log.exception("timeline chart not drawn key=%s", found.key)
        await message.reply_html(text)
        return
    if visible_length(text) <= MAX_CAPTION_LENGTH:
        await message.reply_photo(png, caption=text, filename="timeline.png")
        return
    await message.reply_photo(png, filename="timeline.png")
    await message.reply_html(text)


async def _key_for(
    asked: str, facts: list[Fact], context: BotContext, situation_id: str
) -> str | None:
    """The fact a reader named, by its key, or by a section: its figure changed last (else
    its first)."""
    if any(fact.key == asked for fact in facts):
        return asked
    in_section = [fact.key for fact in facts if fact.section == asked]
    if not in_section:
        return None
    latest = await context.services.db.fetch_value(
        "SELECT key FROM changes WHERE situation_id = ? AND kind = 'fact' AND key IN ("
        + ", ".join("?" for _ in in_section)
        + ") ORDER BY id DESC LIMIT 1",
        (situation_id, *in_section),
    )
    return str(latest) if latest is not None else in_section[0]


def _draw(found: Timeline) -> bytes:
    # matplotlib is imported with the first chart, in this thread (as bot/forces_photo.py
    # does): at start it cost the bot half a second before its first reply.
    from briefings.rendering.timeline import render_timeline

    return render_timeline(found)
