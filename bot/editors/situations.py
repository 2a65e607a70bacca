"""/situation: editors create situations, choose the one they work in, and the default."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import InlineKeyboardMarkup, Update

from bot.context import BotContext
from bot.editors.access import command_rest, editor_only, reply_usage
from bot.plumbing.paging import page_named, page_row, split_pages, turn_page
from briefings.facts.editor_input import InputError, clean_text, optional_text
from briefings.situations import SLUG, Situation

log = logging.getLogger(__name__)

# The words /situation reads as what to do: never a slug, or "/situation new" would be read
# two ways.
NEW, CURRENT = "new", "current"
# The list's ‹ Prev / Next › buttons (the readers' /situations has "situations:page:").
SITUATIONS_PAGE_PREFIX = "situation:page:"
SUBCOMMANDS = (NEW, CURRENT)
TITLE_LIMIT = 120
PERIOD_LIMIT = 60


@editor_only("situation", in_private=True)
async def situation(update: Update, context: BotContext) -> None:
    """Show, create or choose situations: /situation [slug], new <slug> <title>, current <slug>."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    words = command_rest(message).split(maxsplit=2)
    registry = context.situations
    try:
        if not words:
            pass
        elif words[0].lower() == NEW:
            if len(words) < 3:
                raise InputError("give the new situation's slug and its title")
            slug = _slug(words[1])
            if await registry.get(slug) is not None:
                raise InputError(f"there is already a situation {slug!r}")
            title, _, period = words[2].partition("|")
            created = await registry.create(
                slug,
                clean_text(title, "title", TITLE_LIMIT),
                optional_text(period, "period", PERIOD_LIMIT),
            )
            await registry.set_working(user.id, created.id)
            log.info("situation created id=%s editor=%s", created.id, user.id)
        elif words[0].lower() == CURRENT:
            if len(words) != 2:
                raise InputError("give the slug of the situation readers should get")
            chosen = await _existing(context, words[1])
            await registry.set_current(chosen)
            log.info("situation current id=%s editor=%s", chosen, user.id)
            # Readers' menus show the new situation's sections from now on, not at the next
            # start; commands of the old one still answer (bot/readers/sections.py).
            await context.services.menus_follow()
        elif len(words) == 1:
            await registry.set_working(user.id, await _existing(context, words[0]))
        else:
            raise InputError("say new, current, or a situation's slug")
    except InputError as exc:
        await reply_usage(message, context, "situation", str(exc))
        return
    first = await _situations_page(context, user.id, None)
    assert first is not None  # there is always a first page
    text, keyboard = first
    await message.reply_html(text, reply_markup=keyboard)


@editor_only("situation")
async def situations_page(update: Update, context: BotContext) -> None:
    """Turn the /situation list to the page its ‹ Prev or Next › button names."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    shown = await _situations_page(context, user.id, query.data)
    await turn_page(query, shown, context.pages.render_page("stale_button"))


async def _situations_page(
    context: BotContext, editor_id: int, data: str | None
) -> tuple[str, InlineKeyboardMarkup | None] | None:
    """The page of the editors' situation list a button's data names (the first for None),
    with ‹ Prev / Next › where the list is more than a message; None for no such page."""
    registry = context.situations
    situations = await registry.all()
    working, current = await registry.working(editor_id), await registry.current()

    def render(shown: Sequence[Situation], page: int = 0, pages: int = 1) -> str:
        return context.pages.render_page(
            "editor_situations", situations=shown, working=working, current=current,
            page=page, pages=pages,
        )  # fmt: skip

    parts = split_pages(situations, render, len(situations) or 1)
    page = page_named(data, SITUATIONS_PAGE_PREFIX, len(parts))
    if page is None:
        return None
    keyboard = page_row(SITUATIONS_PAGE_PREFIX, page, len(parts))
    return render(parts[page], page, len(parts)), InlineKeyboardMarkup(
        keyboard
    ) if keyboard else None


def _slug(raw: str) -> str:
    slug = raw.strip().lower()
    if not SLUG.fullmatch(slug):
        raise InputError("a slug is 2-40 lowercase letters, digits and hyphens, e.g. gaza-2025")
    if slug in SUBCOMMANDS:
        raise InputError(f"{slug!r} is a word of /situation itself: choose another slug")
    return slug


async def _existing(context: BotContext, raw: str) -> str:
    slug = raw.strip().lower()
    if await context.situations.get(slug) is None:
        raise InputError(f"there is no situation {slug[:40]!r}: /situation lists them")
    return slug
