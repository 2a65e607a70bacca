"""Editors' commands: list, change, add, retire and undo facts and claims, see the history.

Only users in ADMIN_IDS get through; anyone else gets a polite refusal, and the attempt is
logged with the user id and command name (never the text, which may hold anything).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.services import Services, services
from briefings.editing import CLAIM_FIELDS, FACT_SECTIONS, Change, ClaimDraft, Editor, FactDraft
from briefings.editor_input import (
    InputError,
    clean_text,
    is_date,
    is_url,
    parse_as_of,
    parse_source_url,
    parse_value,
)
from briefings.telegram_html import split_message

log = logging.getLogger(__name__)

# Editor handlers may return a conversation state, so their result is passed through.
EditorHandler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Usage:
    """The one-line usage shown on any mistake, with an example."""

    usage: str
    example: str = ""


USAGES: dict[str, Usage] = {
    "facts": Usage("/facts [section]", "/facts forces"),
    "set": Usage(
        "/set <key> <value> [source URL] [as-of date]",
        "/set belarus_border_troops ~25k https://example.org/report 2024-09-02",
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
}


def editor_only(command: str) -> Callable[[EditorHandler], EditorHandler]:
    """Wrap an editor command: refuse (and log) anyone not in ADMIN_IDS."""

    def wrap(callback: EditorHandler) -> EditorHandler:
        @functools.wraps(callback)
        async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Any:
            user = update.effective_user
            message = update.effective_message
            svc = services(context)
            if svc.is_editor(user.id if user else None):
                return await callback(update, context)
            log.warning("refused editor command user_id=%s command=/%s", user and user.id, command)
            if message is not None:
                await message.reply_html(
                    svc.renderer.render_page("editor_refusal", command=command)
                )
            return None

        return guarded

    return wrap


def editor_of(update: Update) -> Editor:
    user = update.effective_user
    assert user is not None  # editor_only let the update through
    return Editor(id=user.id, name=user.full_name or str(user.id))


async def reply_usage(message: Message, svc: Services, command: str, problem: str) -> None:
    usage = USAGES[command]
    await message.reply_html(
        svc.renderer.render_page(
            "editor_usage", problem=problem, usage=usage.usage, example=usage.example
        )
    )


async def reply_long(message: Message, text: str) -> None:
    """Reply with text that may pass Telegram's limit, as several messages."""
    for part in split_message(text):
        await message.reply_html(part)


async def apply_change(
    message: Message, svc: Services, command: str, change: Callable[[], Awaitable[Change]]
) -> None:
    """Make one editor change: on a mistake show the usage, else log it and show it."""
    try:
        done = await change()
    except InputError as exc:
        await reply_usage(message, svc, command, str(exc))
        return
    log.info("editor change id=%s action=%s kind=%s key=%s editor=%s",
             done.id, done.action, done.kind, done.key, done.editor_id)  # fmt: skip
    fact = await svc.store.fact(done.key) if done.kind == "fact" else None
    claim = await svc.store.claim(done.key) if done.kind == "claim" else None
    text = svc.renderer.render_page("editor_change", change=done, fact=fact, claim=claim)
    await reply_long(message, text)


def command_rest(message: Message) -> str:
    """The text after the command word (/cmd or /cmd@bot), as typed."""
    parts = (message.text or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


@editor_only("facts")
async def list_facts(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List every live fact (of one section) with its key, value and provenance."""
    message = update.effective_message
    if message is None:
        return
    svc = services(context)
    section = command_rest(message).lower() or None
    known = (*FACT_SECTIONS, "claims")
    if section is not None and section not in known:
        await reply_usage(message, svc, "facts", f"sections are: {', '.join(known)}")
        return
    facts = [] if section == "claims" else await svc.store.facts(section)
    claims = await svc.store.claims() if section in (None, "claims") else None
    text = svc.renderer.render_page("editor_facts", section=section, facts=facts, claims=claims)
    await reply_long(message, text)


@editor_only("set")
async def set_fact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Change a fact's value: /set <key> <value> [source URL] [as-of date]."""
    message = update.effective_message
    if message is None:
        return
    svc = services(context)
    words = command_rest(message).split()
    if len(words) < 2:
        await reply_usage(message, svc, "set", "give a fact's key and its new value")
        return
    key, rest = words[0], words[1:]

    async def change() -> Change:
        source_url = as_of = None
        # A link and a date may close the line, in either order.
        while len(rest) > 1 and (is_url(rest[-1]) or is_date(rest[-1])):
            last = rest.pop()
            if is_url(last):
                source_url = parse_source_url(last)
            else:
                as_of = parse_as_of(last, svc.editor.today())
        current = await svc.store.fact(key)
        if current is None:
            raise InputError(f"there is no live fact {key!r}: /facts lists the keys")
        value = parse_value(" ".join(rest), current.value)
        return await svc.editor.set_value(
            key, value, editor_of(update), source_url=source_url, as_of=as_of
        )

    await apply_change(message, svc, "set", change)


@editor_only("retire")
async def retire(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Take a fact or claim out of the briefings, keeping its history: /retire <key>."""
    message = update.effective_message
    if message is None:
        return
    svc = services(context)
    words = command_rest(message).split()
    if len(words) != 1:
        await reply_usage(message, svc, "retire", "give exactly one key")
        return
    await apply_change(
        message, svc, "retire", lambda: svc.editor.retire(words[0], editor_of(update))
    )


@editor_only("history")
async def history(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show who changed what, when, from what to what: /history [key]."""
    message = update.effective_message
    if message is None:
        return
    svc = services(context)
    words = command_rest(message).split()
    if len(words) > 1:
        await reply_usage(message, svc, "history", "give at most one key")
        return
    key = words[0] if words else None
    changes = await svc.editor.history(key)
    text = svc.renderer.render_page("editor_history", key=key, changes=changes)
    await reply_long(message, text)


@editor_only("undo")
async def undo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Revert your own last change; the undo is itself recorded."""
    message = update.effective_message
    if message is None:
        return
    svc = services(context)
    if command_rest(message):
        await reply_usage(message, svc, "undo", "/undo takes no arguments")
        return
    await apply_change(message, svc, "undo", lambda: svc.editor.undo(editor_of(update)))


@editor_only("claim")
async def claim(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Add a claim or change one of its fields."""
    message = update.effective_message
    if message is None:
        return
    svc = services(context)
    rest = command_rest(message)

    async def change() -> Change:
        if rest.lower().startswith("new "):
            return await svc.editor.add_claim(parse_claim_line(rest[4:], svc), editor_of(update))
        parts = rest.split(maxsplit=2)
        if len(parts) < 3:
            raise InputError(
                f"give a claim's key, a field ({', '.join(CLAIM_FIELDS)}) and the new text"
            )
        key, field_name, text = parts
        return await svc.editor.edit_claim(key, field_name.lower(), text, editor_of(update))

    await apply_change(message, svc, "claim", change)


def parse_claim_line(line: str, svc: Services) -> ClaimDraft:
    """claimant | claim [| figure] [| verdict] [| reasoning] [| source URL]; "-" skips a field."""
    fields = [field.strip() for field in line.split("|")]
    if len(fields) < 2 or len(fields) > 6:
        raise InputError("separate the claim's fields with |")
    fields += [""] * (6 - len(fields))
    claimant, text, figure, verdict, reasoning, source = fields

    def given(raw: str) -> bool:
        return raw not in ("", "-")

    return ClaimDraft(
        claimant=clean_text(claimant, "claimant", 120),
        claim=clean_text(text, "claim"),
        as_of=svc.editor.today().isoformat(),
        value=parse_value(figure) if given(figure) else None,
        verdict=clean_text(verdict, "verdict", 120) if given(verdict) else None,
        reasoning=clean_text(reasoning, "reasoning", 600) if given(reasoning) else None,
        source_url=parse_source_url(source) if given(source) else None,
    )


def parse_fact_line(line: str, svc: Services) -> FactDraft:
    """section | label | value | claimant [| source URL] [| as-of date]."""
    fields = [field.strip() for field in line.split("|")]
    if not 4 <= len(fields) <= 6:
        raise InputError("separate the fields with |: section, label, value, claimant")
    section, label, value, claimant, *extra = fields
    if section.lower() not in FACT_SECTIONS:
        raise InputError(f"sections are: {', '.join(FACT_SECTIONS)}")
    source_url = as_of = None
    for item in extra:
        if is_url(item):
            source_url = parse_source_url(item)
        elif item:
            as_of = parse_as_of(item, svc.editor.today())
    return FactDraft(
        section=section.lower(),
        label=clean_text(label, "label", 100),
        value=parse_value(value),
        claimant=clean_text(claimant, "claimant", 120),
        as_of=as_of or svc.editor.today().isoformat(),
        source_url=source_url,
    )


async def whoami(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the user's Telegram id, so a new operator can put it in ADMIN_IDS."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    svc = services(context)
    await message.reply_html(
        svc.renderer.render_page(
            "whoami", user_id=user.id, chat_id=message.chat_id, is_editor=svc.is_editor(user.id)
        )
    )
