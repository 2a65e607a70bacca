"""Editors' access and replies: the ADMIN_IDS guard, usage lines, and one change shown.

Only users in ADMIN_IDS get through; anyone else gets a polite refusal, and the attempt is
logged with the user id and command name (never the text, which may hold anything).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram import Message, Update

from bot.context import BotContext
from bot.desks import Desk
from briefings.facts.editing import Change, Editor
from briefings.facts.editor_input import InputError
from briefings.rendering.renderer import credit_of
from briefings.rendering.telegram_html import split_message

log = logging.getLogger(__name__)

# Editor handlers may return a conversation state, so their result is passed through.
EditorHandler = Callable[[Update, BotContext], Coroutine[Any, Any, Any]]


@dataclass(frozen=True, slots=True)
class Usage:
    """The one-line usage shown on any mistake, with an example."""

    usage: str
    example: str = ""


USAGES: dict[str, Usage] = {
    "facts": Usage("/facts [section]", "/facts forces"),
    "set": Usage(
        "/set <key> <value> [source URL] [as-of date] [by <who says so>]",
        "/set russian_troops_in_belarus ~12k https://example.org/report 2024-09-02 by ISW",
    ),
    "add": Usage(
        "/add  (guided)  or  /add <section> | <label> | <value> | <claimant> "
        "[| <source URL>] [| <as-of date>]",
        "/add forces | Belarusian tanks at the border | ~300 tanks | Ukrainian border guard",
    ),
    "claim": Usage(
        "/claim new <claimant> | <claim> [| figure] [| verdict] [| reasoning] [| source URL]"
        "  or  /claim <key> <field> <text>",
        "/claim ukraine_massed_120k verdict false",
    ),
    "retire": Usage("/retire <key>", "/retire border_length"),
    "history": Usage("/history [key]", "/history belarus_border_troops"),
    "undo": Usage("/undo", "/undo"),
    "situation": Usage(
        "/situation [slug]  or  /situation new <slug> <title> [| period]  or  "
        "/situation current <slug>",
        "/situation new gaza-2025 Gaza ceasefire talks | January 2025",
    ),
}


def editor_only(command: str) -> Callable[[EditorHandler], EditorHandler]:
    """Wrap an editor command: refuse (and log) anyone not in ADMIN_IDS."""

    def wrap(callback: EditorHandler) -> EditorHandler:
        @functools.wraps(callback)
        async def guarded(update: Update, context: BotContext) -> Any:
            user = update.effective_user
            message = update.effective_message
            if context.is_editor(user.id if user else None):
                return await callback(update, context)
            log.warning("refused editor command user_id=%s command=/%s", user and user.id, command)
            if message is not None:
                await message.reply_html(
                    context.pages.render_page("editor_refusal", command=command)
                )
            return None

        return guarded

    return wrap


def editor_of(update: Update) -> Editor:
    user = update.effective_user
    assert user is not None  # editor_only let the update through
    return Editor(id=user.id, name=user.full_name or str(user.id), update_id=update.update_id)


async def reply_usage(message: Message, context: BotContext, command: str, problem: str) -> None:
    usage = USAGES[command]
    await message.reply_html(
        context.pages.render_page(
            "editor_usage", problem=problem, usage=usage.usage, example=usage.example
        )
    )


async def reply_long(message: Message, text: str) -> None:
    """Reply with text that may pass Telegram's limit, as several messages."""
    for part in split_message(text):
        await message.reply_html(part)


async def editor_desk(context: BotContext, update: Update) -> Desk:
    """The desk of the situation the editor works in (/situation chooses it)."""
    user = update.effective_user
    assert user is not None  # editor_only let the update through
    return context.desks.get((await context.situations.working(user.id)).id)


async def apply_change(
    message: Message,
    context: BotContext,
    desk: Desk,
    command: str,
    change: Callable[[], Awaitable[Change]],
) -> None:
    """Make one editor change: on a mistake show the usage, else log it and show it."""
    try:
        done = await change()
    except InputError as exc:
        await reply_usage(message, context, command, str(exc))
        return
    log.info("editor change id=%s action=%s kind=%s key=%s editor=%s",
             done.id, done.action, done.kind, done.key, done.editor_id)  # fmt: skip
    # What readers now see: the statement from the facts as readers get them, marked
    # against the same credit their briefings carry.
    now = await desk.renderer.facts_now()
    fact = next((f for f in now.facts if f.key == done.key), None) if done.kind == "fact" else None
    claim = (
        next((c for c in now.claims if c.key == done.key), None) if done.kind == "claim" else None
    )
    text = context.pages.render_page(
        "editor_change", change=done, fact=fact, claim=claim, credit=credit_of(now)
    )
    await reply_long(message, text)


def command_rest(message: Message) -> str:
    """The text after the command word (/cmd or /cmd@bot), as typed."""
    parts = (message.text or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""
