"""The guided, phone-friendly /add: section buttons, one question a step, confirm or cancel."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.context import BotContext
from bot.editors.access import apply_change, command_rest, editor_desk, editor_of, editor_only
from briefings.facts.editing import Change
from briefings.facts.editor_input import (
    ClaimDraft,
    FactDraft,
    InputError,
    clean_text,
    parse_as_of,
    parse_fact_line,
    parse_source_url,
    parse_value,
)
from briefings.facts.models import Claim, Fact
from briefings.rendering.renderer import credit_of

log = logging.getLogger(__name__)

CHOOSING, TYPING, CONFIRMING = range(3)
DRAFT_KEY = "add_draft"
CONVERSATION_TIMEOUT_SECONDS = 15 * 60


@dataclass(frozen=True, slots=True)
class Step:
    """One question of the flow: its name (the template asks it) and how to read the answer."""

    name: str
    read: Callable[[str, date], Any]
    optional: bool = False


def _text(what: str, limit: int) -> Callable[[str, date], str]:
    return lambda raw, _today: clean_text(raw, what, limit)


def _value(raw: str, _today: date) -> Any:
    return parse_value(raw)


def _source(raw: str, _today: date) -> str:
    return parse_source_url(raw)


_SOURCE = Step("source_url", _source, optional=True)
_AS_OF = Step("as_of", parse_as_of, optional=True)

# What each step asks is in templates/add_prompt.html, by the step's name and the draft's kind.
FACT_STEPS: tuple[Step, ...] = (
    Step("label", _text("label", 100)),
    Step("value", _value),
    Step("claimant", _text("claimant", 120)),
    _SOURCE,
    _AS_OF,
)
CLAIM_STEPS: tuple[Step, ...] = (
    Step("claimant", _text("claimant", 120)),
    Step("claim", _text("claim", 300)),
    Step("value", _value, optional=True),
    Step("verdict", _text("verdict", 120), optional=True),
    Step("reasoning", _text("reasoning", 600), optional=True),
    _SOURCE,
    _AS_OF,
)


def _button(section: str) -> str:
    """A fact section as its button reads: "Bottom line" for bottom_line."""
    return section.replace("_", " ").capitalize()


def _steps(draft: dict[str, Any]) -> tuple[Step, ...]:
    return CLAIM_STEPS if draft["kind"] == "claim" else FACT_STEPS


def _keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data)] for text, data in buttons]
    )


@editor_only("add")
async def start_add(update: Update, context: BotContext) -> int | None:
    """Start the guided flow (again, dropping its draft, when /add comes inside it), or take
    the one-line form when arguments follow /add (a guided add under way stays as it was)."""
    message = update.effective_message
    assert message is not None and context.user_data is not None
    line = command_rest(message)
    desk = await editor_desk(context, update)
    sections = (await desk.store.situation()).fact_sections
    if line:
        await apply_change(
            message,
            context,
            desk,
            "add",
            lambda: desk.editor.add_fact(
                parse_fact_line(line, desk.editor.today(), sections), editor_of(update)
            ),
        )
        return None  # no state change: no conversation begun, or the one under way goes on
    if message.chat.type != ChatType.PRIVATE:
        await message.reply_html(context.pages.render_page("add_private_only"))
        return ConversationHandler.END
    dropped = context.user_data.pop(DRAFT_KEY, None) is not None
    choices = [(_button(section), f"add:section:{section}") for section in sections]
    await message.reply_html(
        context.pages.render_page("add_start", dropped=dropped),
        reply_markup=_keyboard(
            *choices, ("⚖️ Claim", "add:section:claim"), ("Cancel", "add:cancel")
        ),
    )
    return CHOOSING


async def choose_section(update: Update, context: BotContext) -> int:
    """Take the section button and ask the first question."""
    query = update.callback_query
    assert query is not None and context.user_data is not None
    await query.answer()
    section = (query.data or "").removeprefix("add:section:")
    desk = await editor_desk(context, update)
    if section not in (*(await desk.store.situation()).fact_sections, "claim"):
        return CHOOSING  # a forged or stale button: keep waiting for a real choice
    if section == "claim":
        context.user_data[DRAFT_KEY] = {"kind": "claim", "section": None, "step": 0}
    else:
        context.user_data[DRAFT_KEY] = {"kind": "fact", "section": section, "step": 0}
    await _ask(update, context)
    return TYPING


async def answer_step(update: Update, context: BotContext) -> int:
    """Read the typed answer to the current question; ask again if it cannot be used."""
    message = update.effective_message
    assert message is not None and context.user_data is not None
    draft = context.user_data.get(DRAFT_KEY)
    if draft is None:
        return ConversationHandler.END
    step = _steps(draft)[draft["step"]]
    try:
        draft[step.name] = step.read(
            message.text or "", (await editor_desk(context, update)).editor.today()
        )
    except InputError as exc:
        await _ask(update, context, problem=str(exc))
        return TYPING
    return await _advance(update, context)


async def skip_step(update: Update, context: BotContext) -> int:
    """Skip an optional question (or take today for the date)."""
    query = update.callback_query
    assert query is not None and context.user_data is not None
    await query.answer()
    draft = context.user_data.get(DRAFT_KEY)
    if draft is None:
        return ConversationHandler.END
    step = _steps(draft)[draft["step"]]
    if not step.optional:
        await _ask(update, context, problem="this one cannot be skipped")
        return TYPING
    draft[step.name] = None
    return await _advance(update, context)


async def _advance(update: Update, context: BotContext) -> int:
    assert context.user_data is not None
    draft = context.user_data[DRAFT_KEY]
    draft["step"] += 1
    if draft["step"] < len(_steps(draft)):
        await _ask(update, context)
        return TYPING
    desk = await editor_desk(context, update)
    today = desk.editor.today()
    statement = await desk.editor.preview(_draft(draft, today), editor_of(update).name)
    text = context.pages.render_page(
        "add_confirm",
        fact=statement if isinstance(statement, Fact) else None,
        claim=statement if isinstance(statement, Claim) else None,
        credit=credit_of(await desk.renderer.facts_now()),
    )
    await _send(update, text, _keyboard(("✅ Save", "add:save"), ("Cancel", "add:cancel")))
    return CONFIRMING


async def save(update: Update, context: BotContext) -> int:
    """Save the confirmed draft as one change."""
    query = update.callback_query
    assert query is not None and context.user_data is not None
    await query.answer()
    draft = context.user_data.pop(DRAFT_KEY, None)
    message = update.effective_message
    if draft is None or message is None:
        return ConversationHandler.END
    editor = editor_of(update)
    desk = await editor_desk(context, update)
    today = desk.editor.today()

    async def change() -> Change:
        new = _draft(draft, today)
        if isinstance(new, ClaimDraft):
            return await desk.editor.add_claim(new, editor)
        return await desk.editor.add_fact(new, editor)

    await apply_change(message, context, desk, "add", change)
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    """Drop the draft; nothing is saved."""
    if context.user_data is not None:
        context.user_data.pop(DRAFT_KEY, None)
    if update.callback_query is not None:
        await update.callback_query.answer()
    await _send(update, context.pages.render_page("add_cancelled"), None)
    return ConversationHandler.END


async def _ask(update: Update, context: BotContext, problem: str | None = None) -> None:
    assert context.user_data is not None
    draft = context.user_data[DRAFT_KEY]
    steps = _steps(draft)
    step = steps[draft["step"]]
    text = context.pages.render_page(
        "add_prompt",
        kind=draft["kind"],
        section=draft["section"],
        number=draft["step"] + 1,
        total=len(steps),
        step=step.name,
        optional=step.optional,
        problem=problem,
    )
    buttons = [("Skip" if step.name != "as_of" else "Today", "add:skip")] if step.optional else []
    await _send(update, text, _keyboard(*buttons, ("Cancel", "add:cancel")))


async def _send(update: Update, text: str, markup: InlineKeyboardMarkup | None) -> None:
    # After a button, edit that message; after typing, answer with a new one.
    query = update.callback_query
    if query is not None and query.message is not None and hasattr(query.message, "edit_text"):
        await query.message.edit_text(text, reply_markup=markup)
    elif update.effective_message is not None:
        await update.effective_message.reply_html(text, reply_markup=markup)


def _draft(draft: dict[str, Any], today: date) -> FactDraft | ClaimDraft:
    """The statement the flow's answers describe."""
    as_of = draft["as_of"] or today.isoformat()
    if draft["kind"] == "claim":
        return ClaimDraft(
            claimant=draft["claimant"], claim=draft["claim"], as_of=as_of, value=draft["value"],
            verdict=draft["verdict"], reasoning=draft["reasoning"],
            source_url=draft["source_url"],
        )  # fmt: skip
    return FactDraft(
        section=draft["section"], label=draft["label"], value=draft["value"],
        claimant=draft["claimant"], as_of=as_of, source_url=draft["source_url"],
    )  # fmt: skip


def add_conversation() -> ConversationHandler[BotContext]:
    """The /add conversation, per user and chat, with /cancel and Cancel at every step."""
    cancel_handlers: list[BaseHandler[Update, BotContext, object]] = [
        CommandHandler("cancel", cancel),
        CallbackQueryHandler(cancel, pattern="^add:cancel$"),
    ]
    with warnings.catch_warnings():
        # PTB warns that per_message=False tracks buttons per chat, not per message: that is
        # what we want, since only one draft per editor and chat exists at a time.
        warnings.simplefilter("ignore", PTBUserWarning)
        return ConversationHandler(
            entry_points=[CommandHandler("add", start_add)],
            states={
                CHOOSING: [CallbackQueryHandler(choose_section, pattern="^add:section:")],
                TYPING: [
                    MessageHandler(filters.TEXT & ~filters.COMMAND, answer_step),
                    CallbackQueryHandler(skip_step, pattern="^add:skip$"),
                ],
                CONFIRMING: [CallbackQueryHandler(save, pattern="^add:save$")],
            },
            fallbacks=cancel_handlers,
            # /add inside the flow starts it again, rather than meeting "I don't know /add".
            allow_reentry=True,
            conversation_timeout=CONVERSATION_TIMEOUT_SECONDS,
            name="add",
        )
