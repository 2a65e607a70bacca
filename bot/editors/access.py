"""Editors' access and replies: the ADMIN_IDS guard, usage lines, and one change shown.

Only users in ADMIN_IDS get through; anyone else gets a polite refusal, and the attempt is
logged with the user id and command name (never the text, which may hold anything).
A command whose answer is the editors' alone (/stats, /cables, /facts, /history, /preview),
sent in a group, is answered in the editor's private chat; the group gets one line.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram import Chat, Message, Update
from telegram.constants import ChatType
from telegram.error import Forbidden

from bot.context import BotContext
from bot.desks import Desk
from briefings.facts.editing import Change, Editor
from briefings.facts.editor_input import InputError
from briefings.rendering.renderer import credit_of
from briefings.rendering.telegram_html import split_message, visible_text

log = logging.getLogger(__name__)

# Editor handlers may return a conversation state, so their result is passed through.
EditorHandler = Callable[[Update, BotContext], Coroutine[Any, Any, Any]]


@dataclass(frozen=True, slots=True)
class Usage:
    """The one-line usage shown on any mistake, with an example; the command's line in the
    menu and /help ends with the same usage (bot/commands.py). A key in the example is the
    editor's situation's own, as it stands: {fact} a live fact's (a number's where there is
    one), {claim} a live claim's; an example naming no live key is left out."""

    usage: str
    example: str = ""


USAGES: dict[str, Usage] = {
    "facts": Usage("/facts [section]", "/facts forces"),
    "set": Usage(
        "/set <key> <value> [source URL] [as-of date] [by <who says so>]",
        "/set {fact} ~12k https://example.org/report 2024-09-02 by ISW",
    ),
    "add": Usage(
        "/add (guided) or /add <section> | <label> | <value> | <claimant> "
        "[| <source URL>] [| <as-of date>]",
        "/add forces | Belarusian tanks at the border | ~300 tanks | Ukrainian border guard",
    ),
    "claim": Usage(
        "/claim new <claimant> | <claim> [| figure] [| verdict] [| reasoning] [| source URL]"
        " or /claim <key> <field> <text>",
        "/claim {claim} verdict false",
    ),
    "retire": Usage("/retire <key>", "/retire {fact}"),
    "history": Usage("/history [key]", "/history {fact}"),
    "undo": Usage("/undo", "/undo"),
    "situation": Usage(
        "/situation [slug] or /situation new <slug> <title> [| period] or "
        "/situation current <slug>",
        "/situation new gaza-2025 Gaza ceasefire talks | January 2025",
    ),
    "publish": Usage("/publish <url of the cable>"),
}


def editor_only(
    command: str, *, in_private: bool = False
) -> Callable[[EditorHandler], EditorHandler]:
    """Wrap an editor command: refuse (and log) anyone not in ADMIN_IDS. With in_private, the
    command sent in a group is answered in the editor's private chat (answered_in_private)."""

    def wrap(callback: EditorHandler) -> EditorHandler:
        answer = answered_in_private(command, callback) if in_private else callback

        @functools.wraps(callback)
        async def guarded(update: Update, context: BotContext) -> Any:
            user = update.effective_user
            message = update.effective_message
            if context.is_editor(user.id if user else None):
                return await answer(update, context)
            log.warning("refused editor command user_id=%s command=/%s", user and user.id, command)
            refusal = context.pages.render_page("editor_refusal", command=command)
            if update.callback_query is not None:
                # A tap is answered on its button, not with a message in the chat (a group's).
                await update.callback_query.answer(visible_text(refusal)[:200])
            elif message is not None:
                await message.reply_html(refusal)
            return None

        return guarded

    return wrap


def answered_in_private(command: str, callback: EditorHandler) -> EditorHandler:
    """Run a command sent in a group as if the editor had sent it in their private chat, so
    what it shows (counts, drafts, history) reaches the editor alone; the group is told in one
    line where the answer went, or that the bot cannot write to them there (Telegram's 403
    for a user who never started the bot, or blocked it), with none of the answer."""

    @functools.wraps(callback)
    async def moved(update: Update, context: BotContext) -> Any:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or message.chat.type == ChatType.PRIVATE:
            return await callback(update, context)
        try:
            result = await callback(_in_private_chat(update, message, context), context)
        except Forbidden:
            log.info("editor command /%s answered nowhere: no private chat user_id=%s",
                     command, user.id)  # fmt: skip
            result, sent = None, False
        else:
            sent = True
        await message.reply_html(
            context.pages.render_page(
                "editor_in_private", sent=sent, command=command, bot_username=context.bot.username
            )
        )
        return result

    return moved


def _in_private_chat(update: Update, message: Message, context: BotContext) -> Update:
    """The update as if its message had been sent in the sender's private chat (whose id is
    the user's): every reply and send the command makes to "this chat" goes there."""
    user = message.from_user or update.effective_user
    assert user is not None
    chat = Chat(user.id, ChatType.PRIVATE, first_name=user.first_name,
                last_name=user.last_name, username=user.username)  # fmt: skip
    private = Message(
        message.message_id, message.date, chat, from_user=user,
        text=message.text, entities=message.entities,
    )  # fmt: skip
    private.set_bot(context.bot)
    return Update(update.update_id, message=private)


def editor_of(update: Update) -> Editor:
    user = update.effective_user
    assert user is not None  # editor_only let the update through
    return Editor(id=user.id, name=user.full_name or str(user.id), update_id=update.update_id)


async def reply_usage(message: Message, context: BotContext, command: str, problem: str) -> None:
    usage = USAGES[command]
    example = await _example_of(usage, message, context)
    await message.reply_html(
        context.pages.render_page(
            "editor_usage", problem=problem, usage=usage.usage, example=example
        )
    )


async def _example_of(usage: Usage, message: Message, context: BotContext) -> str:
    """The usage's example, with keys taken from the editor's situation (see Usage)."""
    if "{" not in usage.example:
        return usage.example
    user = message.from_user
    if user is None:
        return ""
    store = (await _working_desk(context, user.id)).store
    facts = await store.facts()
    numbers = [f for f in facts if f.value.kind in ("number", "range")]
    claims = await store.claims() if "{claim}" in usage.example else []
    keys = {
        "fact": (numbers or facts)[0].key if facts else None,
        "claim": claims[0].key if claims else None,
    }
    if any(f"{{{name}}}" in usage.example and key is None for name, key in keys.items()):
        return ""
    return usage.example.format(**keys)


async def reply_long(message: Message, text: str) -> None:
    """Reply with text that may pass Telegram's limit, as several messages."""
    for part in split_message(text):
        await message.reply_html(part)


async def editor_desk(context: BotContext, update: Update) -> Desk:
    """The desk of the situation the editor works in (/situation chooses it)."""
    user = update.effective_user
    assert user is not None  # editor_only let the update through
    return await _working_desk(context, user.id)


async def _working_desk(context: BotContext, editor_id: int) -> Desk:
    return context.desks.get((await context.situations.working(editor_id)).id)


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
