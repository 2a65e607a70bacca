"""Handlers for readers: /start, the briefing sections, their buttons, and the fallbacks."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest

from bot.context import BotContext
from bot.readers import subscriptions
from bot.readers.forces_photo import CHART_SECTION, reply_with_chart
from bot.readers.keyboards import SECTION_CALLBACK_PREFIX, start_keyboard
from bot.settings import NEWSLETTER_URL
from briefings.rendering.sections import SECTIONS_BY_NAME

log = logging.getLogger(__name__)

Handler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]

# The longest unknown command we echo back; the rest of a hostile text is dropped.
_MAX_ECHOED_COMMAND = 40


async def start(update: Update, context: BotContext) -> None:
    """Greet the user, or follow a deep-link payload (t.me/<bot>?start=<payload>)."""
    message = update.effective_message
    if message is None:
        return
    if message.chat.type == ChatType.PRIVATE:
        await subscriptions.welcome_back(message.chat.id, context)
    payload = context.args[0].lower() if context.args else ""
    route = START_PAYLOADS.get(payload)
    if route is not None:
        await route(update, context)
        return
    text = context.renderer.render_page(
        "start", situation=await context.store.situation(), newsletter_url=NEWSLETTER_URL
    )
    await message.reply_html(text, reply_markup=start_keyboard())


def section_command(name: str) -> Handler:
    """Make the handler for /<name>: reply with that section's briefing."""

    async def show_section(update: Update, context: BotContext) -> None:
        message = update.effective_message
        if message is not None:
            await send_briefing(message, name, context)

    show_section.__doc__ = f"Reply with the {name} briefing."
    show_section.__name__ = f"show_{name}"
    return show_section


async def send_briefing(message: Message, name: str, context: BotContext) -> None:
    """Reply to message with the named section's briefing and its keyboard (forces: a chart
    first, and the text below it unless the chart's caption carried it all)."""
    briefing = await context.renderer.render(name)
    keyboard = context.keyboards.briefing(briefing)
    if name == CHART_SECTION and await reply_with_chart(
        message, briefing, keyboard, context.forces_photo
    ):
        return
    await message.reply_html(briefing.text, reply_markup=keyboard)


async def section_button(update: Update, context: BotContext) -> None:
    """Switch the briefing under a button to another section, editing it in place."""
    query = update.callback_query
    if query is None:
        return
    name = (query.data or "").removeprefix(SECTION_CALLBACK_PREFIX)
    if name not in SECTIONS_BY_NAME:
        await query.answer(context.renderer.render_page("stale_button"))
        return
    briefing = await context.renderer.render(name)
    keyboard = context.keyboards.briefing(briefing)
    await query.answer()
    if not isinstance(query.message, Message) or query.message.photo:
        # Too old for Telegram to hand us the message, or a chart whose caption cannot become
        # another section's text: answer with a new message.
        if update.effective_chat is not None:
            await context.bot.send_message(
                update.effective_chat.id, briefing.text, reply_markup=keyboard
            )
        return
    try:
        await query.message.edit_text(briefing.text, reply_markup=keyboard)
    except BadRequest as exc:
        if "not modified" in exc.message.lower():
            return  # the same section tapped twice: nothing to change
        # Too old to edit, or deleted meanwhile: send the section as a new message.
        await context.bot.send_message(query.message.chat.id, briefing.text, reply_markup=keyboard)


async def unknown_command(update: Update, context: BotContext) -> None:
    """Point an unknown command at /help; in groups only when it was addressed to us."""
    message = update.effective_message
    if message is None or not message.text:
        return
    command = message.text.split(maxsplit=1)[0]
    name, _, addressee = command.partition("@")
    if message.chat.type != ChatType.PRIVATE and addressee.lower() != context.bot.username.lower():
        return  # in a group, a bare or foreign /command may be for another bot
    if addressee and addressee.lower() != context.bot.username.lower():
        return
    if len(name) > _MAX_ECHOED_COMMAND:
        name = name[:_MAX_ECHOED_COMMAND] + "…"
    await message.reply_html(context.renderer.render_page("unknown_command", command=name))


async def text_hint(update: Update, context: BotContext) -> None:
    """Answer plain text in a private chat with a hint to use commands."""
    message = update.effective_message
    if message is not None:
        await message.reply_html(context.renderer.render_page("text_hint"))


# Deep-link payloads /start understands: each section by name. Later features add theirs.
START_PAYLOADS: dict[str, Handler] = {
    **{name: section_command(name) for name in SECTIONS_BY_NAME},
    "subscribe": subscriptions.subscribe,
}
