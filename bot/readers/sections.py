"""Handlers for readers: /start, the briefing sections, their buttons, and the fallbacks."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.ext import filters

from bot.context import BotContext
from bot.forces_photo import CHART_KIND, reply_with_chart
from bot.keyboards import (
    SECTION_CALLBACK_PREFIX,
    deep_link,
    situations_keyboard,
    start_keyboard,
)
from bot.plumbing.paging import page_named, page_row, show_in_place, split_pages, turn_page
from bot.readers import subscriptions
from bot.readers.since_looked import opened_for
from bot.settings import NEWSLETTER_URL
from briefings.situations import Situation

log = logging.getLogger(__name__)

# The longest unknown command we echo back; the rest of a hostile text is dropped.
_MAX_ECHOED_COMMAND = 40
# /situations shows at most this many situations a page: a button each, a keyboard in reach.
SITUATIONS_PER_PAGE = 8
SITUATIONS_PAGE_PREFIX = "situations:page:"


class SectionCommand(filters.MessageFilter):
    """A command naming a section of some situation (names come from the registry, in
    memory): checked before the other commands' handlers, as it is the commonest."""

    def __init__(self, names: Callable[[], frozenset[str]]) -> None:
        super().__init__(name="SectionCommand")
        self.names = names

    def filter(self, message: Message) -> bool:
        text = message.text or ""
        if not text.startswith("/"):
            return False
        name = text.split(maxsplit=1)[0][1:].partition("@")[0].lower()
        return name in self.names()


async def start(update: Update, context: BotContext) -> None:
    """Greet the user, or follow a deep-link payload (t.me/<bot>?start=<payload>)."""
    message = update.effective_message
    if message is None:
        return
    if message.chat.type == ChatType.PRIVATE:
        await subscriptions.welcome_back(message.chat.id, context)
    payload = context.args[0].lower() if context.args else ""
    if payload == "subscribe":
        await subscriptions.subscribe_chat(update, context)
        return
    # "<section>" or "<section>-<situation>": a section, of the default situation or another.
    name, _, slug = payload.partition("-")
    situation = await _situation_with(context, name, slug or None)
    if situation is not None and situation.section(name) is not None:
        await send_briefing(message, situation, name, context)
        return
    situation = await context.situations.current()
    text = context.pages.render_page("start", situation=situation, newsletter_url=NEWSLETTER_URL)
    await message.reply_html(
        text,
        reply_markup=start_keyboard(situation, context.settings.trial_url, context.keyboards.link),
    )


async def section_or_unknown(update: Update, context: BotContext) -> None:
    """Answer /<section> [situation] with that briefing; any other command with a pointer to
    /help (in groups only when it was addressed to us)."""
    message = update.effective_message
    if message is None or not message.text:
        return
    command, *rest = message.text.split()
    name, _, addressee = command.removeprefix("/").partition("@")
    if addressee and addressee.lower() != context.bot.username.lower():
        return  # addressed to another bot
    slug = rest[0].lower() if rest else None
    situation = await _situation_with(context, name.lower(), slug)
    if situation is not None and situation.section(name.lower()) is not None:
        await send_briefing(message, situation, name.lower(), context)
        return
    if slug is not None and situation is None and await _is_section(context, name.lower()):
        await message.reply_html(context.pages.render_page("no_situation", slug=slug))
        return
    if message.chat.type != ChatType.PRIVATE and not addressee:
        return  # in a group, a bare /command may be for another bot
    shown = "/" + name
    if len(shown) > _MAX_ECHOED_COMMAND:
        shown = shown[:_MAX_ECHOED_COMMAND] + "…"
    await message.reply_html(context.pages.render_page("unknown_command", command=shown))


async def send_briefing(
    message: Message, situation: Situation, name: str, context: BotContext
) -> None:
    """Reply to message with a section's briefing and its keyboard (a figures section: its
    chart first, and the text below it unless the chart's caption carried it all)."""
    desk = context.desks.get(situation.id)
    briefing = await desk.renderer.render(name)
    reader = message.from_user.id if message.from_user else None
    context.stats.read(reader, name)
    keyboard = context.keyboards.briefing(briefing)
    briefing = await opened_for(reader, briefing, desk, context.services.last_seen)
    if briefing.section.kind == CHART_KIND and await reply_with_chart(
        message, briefing, keyboard, desk.forces_photo
    ):
        return
    await message.reply_html(briefing.text, reply_markup=keyboard)


async def section_button(update: Update, context: BotContext) -> None:
    """Switch the briefing under a button to another section, editing it in place."""
    query = update.callback_query
    if query is None:
        return
    name, _, slug = (query.data or "").removeprefix(SECTION_CALLBACK_PREFIX).partition(":")
    situation = await _situation(context, slug or None)
    if situation is None or situation.section(name) is None:
        await query.answer(context.pages.render_page("stale_button"))
        return
    desk = context.desks.get(situation.id)
    briefing = await desk.renderer.render(name)
    context.stats.read(query.from_user.id, name)
    keyboard = context.keyboards.briefing(briefing)
    briefing = await opened_for(query.from_user.id, briefing, desk, context.services.last_seen)
    await show_in_place(query, briefing.text, keyboard)


async def situations(update: Update, context: BotContext) -> None:
    """List the situations the bot briefs on, and how to open each (in pages, where they are
    more than a message or a keyboard holds)."""
    message = update.effective_message
    if message is None:
        return
    first = await _situations_page(context, None)
    assert first is not None  # there is always a first page
    text, keyboard = first
    await message.reply_html(text, reply_markup=keyboard)


async def situations_page(update: Update, context: BotContext) -> None:
    """Turn the /situations list to the page its ‹ Prev or Next › button names."""
    query = update.callback_query
    if query is None:
        return
    shown = await _situations_page(context, query.data)
    await turn_page(query, shown, context.pages.render_page("stale_button"))


async def _situations_page(
    context: BotContext, data: str | None
) -> tuple[str, InlineKeyboardMarkup | None] | None:
    """The page of /situations a button's data names (the first for None): its text and its
    keyboard (a button per situation on it, and ‹ Prev / Next ›); None for no such page."""
    situations = await context.situations.all()
    current = await context.situations.current()
    # "/brief <slug>" is no command a tap can send (Telegram sends "/brief" alone): another
    # situation's sections are deep links, and a button opens each situation's brief.
    links = {
        situation.id: {section.name: deep_link(context.bot.username, section.name, situation.id)
                       for section in situation.sections}
        for situation in situations
    }  # fmt: skip

    def render(shown: Sequence[Situation], page: int = 0, pages: int = 1) -> str:
        return context.pages.render_page(
            "situations", situations=shown, current=current, links=links, page=page, pages=pages
        )

    parts = split_pages(situations, render, SITUATIONS_PER_PAGE)
    page = page_named(data, SITUATIONS_PAGE_PREFIX, len(parts))
    if page is None:
        return None
    shown = parts[page]
    keyboard = situations_keyboard(shown, page_row(SITUATIONS_PAGE_PREFIX, page, len(parts)))
    return render(shown, page, len(parts)), keyboard


async def _situation(context: BotContext, slug: str | None) -> Situation | None:
    """The situation a reader named, or the default one when they named none."""
    if slug is None:
        return await context.situations.current()
    return await context.situations.get(slug)


async def _situation_with(context: BotContext, name: str, slug: str | None) -> Situation | None:
    """The situation a reader named; where they named none, the default one, or, for a section
    the default lacks, the first situation that has it: a command in an older briefing, or
    in a menu from before the editors chose another default, still answers."""
    if slug is not None:
        return await context.situations.get(slug)
    current = await context.situations.current()
    if current.section(name) is not None:
        return current
    return next((s for s in await context.situations.all() if s.section(name)), current)


async def _is_section(context: BotContext, name: str) -> bool:
    return any(s.section(name) for s in await context.situations.all())


async def text_hint(update: Update, context: BotContext) -> None:
    """Answer plain text in a private chat with a hint to use commands."""
    message = update.effective_message
    if message is not None:
        await message.reply_html(context.pages.render_page("text_hint"))
