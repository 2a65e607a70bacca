"""Inline mode: "@bot forces" typed in any chat offers the briefings, to post as cards.

Needs inline mode switched on with @BotFather (/setinline); see README.
"""

from __future__ import annotations

import logging
import re

from telegram import (
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.context import BotContext
from bot.keyboards import card_keyboard
from briefings.rendering.renderer import BriefingRenderer
from briefings.situations import Section, Situation

log = logging.getLogger(__name__)

# How long Telegram may serve an answer from its cache: a burst of typing costs one render,
# and an editor's change reaches the cards within a minute.
INLINE_CACHE_SECONDS = 60

_LEADING_SYMBOLS = re.compile(r"^\W+")


def matching_sections(situation: Situation, query: str) -> tuple[Section, ...]:
    """Sections whose name or button label starts with query; all of them for an empty query,
    and for one that matches none, so whoever types always has something to post."""
    wanted = query.strip().lower()
    found = tuple(
        section for section in situation.sections
        if any(name.startswith(wanted) for name in _names(section))
    )  # fmt: skip
    return found or situation.sections


async def inline_briefings(update: Update, context: BotContext) -> None:
    """Answer an inline query with one briefing card per matching section."""
    query = update.inline_query
    if query is None:
        return
    desk = await context.desks.current()
    situation = await desk.store.situation()
    results = [
        await _article(section, desk.renderer, context)
        for section in matching_sections(situation, query.query)
    ]
    try:
        await query.answer(results, cache_time=INLINE_CACHE_SECONDS, is_personal=False)
    except BadRequest as exc:
        if "query is too old" not in exc.message.lower():
            raise
        # The reader typed on (each keystroke is a new query) or gave up: nothing to report.
        log.info("inline query answered too late query_id=%s", query.id)


async def _article(
    section: Section, renderer: BriefingRenderer, context: BotContext
) -> InlineQueryResultArticle:
    briefing = await renderer.render(section.name)
    return InlineQueryResultArticle(
        id=section.name,
        title=section.button,
        description=section.summary,
        input_message_content=InputTextMessageContent(
            briefing.text,
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        ),
        reply_markup=card_keyboard(
            section, context.settings.trial_url, context.bot.username, context.keyboards.link
        ),
    )


def _names(section: Section) -> tuple[str, str]:
    # "🪖 Forces" is matched as "forces": the emoji is nobody's first keystroke.
    return section.name, _LEADING_SYMBOLS.sub("", section.button.lower())
