"""/stats for editors: one message and a chart."""

from __future__ import annotations

import asyncio
import html
import logging

from telegram import Update

from bot.context import BotContext
from bot.editors.access import editor_only
from bot.stats.store import Figures

log = logging.getLogger(__name__)


@editor_only("stats", in_private=True)
async def stats(update: Update, context: BotContext) -> None:
    """Readers, subscribers, each recent cable's delivery and clicks, daily briefings."""
    message = update.effective_message
    if message is None:
        return
    figures = await context.stats.figures()
    counted = context.services.links.counted  # links go through /go/ in webhook mode only
    text = context.pages.render_page("editor_stats", figures=figures, clicks_counted=counted)
    try:
        chart = await asyncio.to_thread(_draw, figures)
    except Exception:  # the figures must still go out
        log.exception("stats chart not drawn")
        chart = None
    if chart is not None:
        # The chart says what it shows and the period it covers, in the image and here.
        png, caption = chart
        await message.reply_photo(png, caption=html.escape(caption, quote=False),
                                  filename="stats.png")  # fmt: skip
    await message.reply_html(text)


def _draw(figures: Figures) -> tuple[bytes, str]:
    """The chart and its caption. matplotlib is imported with the first chart, in this thread
    (as bot/forces_photo.py does): at start it cost the bot half a second before its first
    reply."""
    from bot.stats.chart import render_stats_chart, stats_caption

    return render_stats_chart(figures), stats_caption(figures)
