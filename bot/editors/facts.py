"""Editors' commands on facts and claims: list, change, retire, undo, see the history."""

from __future__ import annotations

import logging

from telegram import Update

from bot.context import BotContext
from bot.editors.access import (
    apply_change,
    command_rest,
    editor_desk,
    editor_of,
    editor_only,
    reply_long,
    reply_usage,
)
from briefings.facts.editing import Change
from briefings.facts.editor_input import (
    CLAIM_FIELDS,
    InputError,
    clean_text,
    is_date,
    is_url,
    parse_as_of,
    parse_claim_line,
    parse_source_url,
    parse_value,
    split_said_by,
)

log = logging.getLogger(__name__)


@editor_only("facts", in_private=True)
async def list_facts(update: Update, context: BotContext) -> None:
    """List every live fact (of one section) with its key, value and provenance."""
    message = update.effective_message
    if message is None:
        return
    desk = await editor_desk(context, update)
    section = command_rest(message).lower() or None
    known = (*(await desk.store.situation()).fact_sections, "claims")
    if section is not None and section not in known:
        await reply_usage(message, context, "facts", f"sections are: {', '.join(known)}")
        return
    facts = [] if section == "claims" else await desk.store.facts(section)
    claims = await desk.store.claims() if section in (None, "claims") else None
    text = context.pages.render_page("editor_facts", section=section, facts=facts, claims=claims)
    await reply_long(message, text)


@editor_only("set", in_private=True)
async def set_fact(update: Update, context: BotContext) -> None:
    """Change a fact's value: /set <key> <value> [source URL] [as-of date] [by <who>]."""
    message = update.effective_message
    if message is None:
        return
    desk = await editor_desk(context, update)
    line, said_by = split_said_by(command_rest(message))
    words = line.split()
    if len(words) < 2:
        await reply_usage(message, context, "set", "give a fact's key and its new value")
        return
    key, rest = words[0], words[1:]

    async def change() -> Change:
        if said_by is not None:
            clean_text(said_by, "name after by", 120)
        source_url = as_of = None
        # A link and a date may close the line, in either order.
        while len(rest) > 1 and (is_url(rest[-1]) or is_date(rest[-1])):
            last = rest.pop()
            if is_url(last):
                source_url = parse_source_url(last)
            else:
                as_of = parse_as_of(last, desk.editor.today())
        current = await desk.store.fact(key)
        if current is None:
            raise InputError(f"there is no live fact {key!r}: /facts lists the keys")
        value = parse_value(" ".join(rest), current.value)
        return await desk.editor.set_value(
            key, value, editor_of(update), source_url=source_url, as_of=as_of, said_by=said_by
        )

    await apply_change(message, context, desk, "set", change)


@editor_only("retire", in_private=True)
async def retire(update: Update, context: BotContext) -> None:
    """Take a fact or claim out of the briefings, keeping its history: /retire <key>."""
    message = update.effective_message
    if message is None:
        return
    desk = await editor_desk(context, update)
    words = command_rest(message).split()
    if len(words) != 1:
        await reply_usage(message, context, "retire", "give exactly one key")
        return
    await apply_change(
        message, context, desk, "retire", lambda: desk.editor.retire(words[0], editor_of(update))
    )


@editor_only("history", in_private=True)
async def history(update: Update, context: BotContext) -> None:
    """Show who changed what, when, from what to what: /history [key]."""
    message = update.effective_message
    if message is None:
        return
    desk = await editor_desk(context, update)
    words = command_rest(message).split()
    if len(words) > 1:
        await reply_usage(message, context, "history", "give at most one key")
        return
    key = words[0] if words else None
    changes = await desk.editor.history(key)
    text = context.pages.render_page("editor_history", key=key, changes=changes)
    await reply_long(message, text)


@editor_only("undo", in_private=True)
async def undo(update: Update, context: BotContext) -> None:
    """Revert your own last change; the undo is itself recorded."""
    message = update.effective_message
    if message is None:
        return
    desk = await editor_desk(context, update)
    if command_rest(message):
        await reply_usage(message, context, "undo", "/undo takes no arguments")
        return

    async def change() -> Change:
        async with context.services.db.transaction():
            undone = await desk.editor.undo(editor_of(update))
            if undone.undoes is not None:  # drafts it had published go back to the review
                await context.services.drafting.drafts.reopen(undone.undoes)
            return undone

    await apply_change(message, context, desk, "undo", change)


@editor_only("claim", in_private=True)
async def claim(update: Update, context: BotContext) -> None:
    """Add a claim or change one of its fields."""
    message = update.effective_message
    if message is None:
        return
    desk = await editor_desk(context, update)
    rest = command_rest(message)

    async def change() -> Change:
        if rest.lower().startswith("new "):
            return await desk.editor.add_claim(
                parse_claim_line(rest[4:], desk.editor.today()), editor_of(update)
            )
        parts = rest.split(maxsplit=2)
        if len(parts) < 3:
            raise InputError(
                f"give a claim's key, a field ({', '.join(CLAIM_FIELDS)}) and the new text"
            )
        key, field_name, text = parts
        return await desk.editor.edit_claim(key, field_name.lower(), text, editor_of(update))

    await apply_change(message, context, desk, "claim", change)


async def whoami(update: Update, context: BotContext) -> None:
    """Show the user's Telegram id, so a new operator can put it in ADMIN_IDS."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    await message.reply_html(
        context.pages.render_page(
            "whoami",
            user_id=user.id,
            chat_id=message.chat_id,
            is_editor=context.is_editor(user.id),
        )
    )
