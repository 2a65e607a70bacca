"""Reviewing a cable's drafts from the chat, one at a time, edited in place.

The card shows the statement exactly as readers would get it (the briefings' own macros,
voice included) and the cable's sentence with the quoted words underlined; its buttons
accept, edit (the editor's next message is the new value or label), change whose words they
are (the voices the sentence allows, in turn), skip, or stop. Stopped or done, the summary
offers to publish what was accepted, to accept the rest, and to choose the situation.

Every tap is answered; each button names a draft or a cable by its row, read within bounds
(bot/plumbing/callbacks.py). Two editors on one cable: a decision is taken only from a draft
still waiting, so the second tap on a draft is told so and shown the next.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import filters

from bot.context import BotContext
from bot.editors.access import editor_of, editor_only
from bot.editors.review_publish import (
    SituationRemoved,
    living_situation,
    model_cable,
    publish_accepted,
)
from bot.keyboards import BUTTON_TEXT_LENGTH
from bot.plumbing.callbacks import MAX_ROW_ID, number_after
from bot.plumbing.paging import show_in_place
from bot.push.drafts import REVIEW_PREFIX
from briefings.cables.store import StoredCable
from briefings.drafting.review import as_statement, draft_row, edited, next_voice, whose
from briefings.drafting.store import ACCEPTED, SKIPPED, WAITING, DraftStore, StoredDraft
from briefings.facts.editing import Editor
from briefings.facts.editor_input import InputError
from briefings.facts.models import Fact
from briefings.rendering.renderer import credit
from briefings.rendering.shorten import shorten
from briefings.situations import DEFAULT_SECTIONS, Situation

log = logging.getLogger(__name__)

PATTERN = "^rv:"
# A draft's buttons, each with the draft's id: accept, edit, voice, skip.
ACCEPT, EDIT, VOICE, SKIP = "rv:a:", "rv:e:", "rv:v:", "rv:s:"
# A cable's buttons, each with the cable's row: review (bot/push/drafts.py), stop, publish,
# accept the rest, choose the situation; then "rv:to:<cable's row>:<situation's row, 0: new>".
STOP, PUBLISH, REST, INTO, TO = "rv:x:", "rv:p:", "rv:all:", "rv:in:", "rv:to:"
# Where an editor's pending edit is kept (their user_data): the draft, the card's chat and id.
EDIT_KEY = "review_edit"
# The cable's sentence shown around the quoted words, at most this much on each side.
SENTENCE_AROUND = 300
SITUATIONS_SHOWN = 8

Keyboard = InlineKeyboardMarkup


def _drafts(context: BotContext) -> DraftStore:
    return context.services.drafting.drafts


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(shorten(text, BUTTON_TEXT_LENGTH), callback_data=data)


# ---------------------------------------------------------------------- /drafts
@editor_only("drafts", in_private=True)
async def list_drafts(update: Update, context: BotContext) -> None:
    """List the cables whose drafts wait for review, each with a Review button."""
    message = update.effective_message
    if message is None:
        return
    items = (await _drafts(context).undecided())[:SITUATIONS_SHOWN]
    rows = [[_button(f"📝 {item.title}", f"{REVIEW_PREFIX}{item.rowid}")] for item in items]
    await message.reply_html(
        context.pages.render_page("editor_drafts", cables=items),
        reply_markup=InlineKeyboardMarkup(rows) if rows else None,
    )


# ---------------------------------------------------------------------- taps
@editor_only("review")
async def review_tap(update: Update, context: BotContext) -> None:
    """Act on a review button: a draft's (accept, edit, voice, skip) or a cable's."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    data = query.data or ""
    if context.user_data is not None:
        context.user_data.pop(EDIT_KEY, None)  # any tap ends an edit not sent
    editor = editor_of(update)
    for prefix, on_draft in _DRAFT_TAPS.items():
        if data.startswith(prefix):
            draft_id = number_after(data, prefix, below=MAX_ROW_ID + 1)
            stored = await _drafts(context).get(draft_id) if draft_id else None
            if stored is None:
                break
            await on_draft(query, context, stored, editor)
            return
    else:
        for prefix, on_cable in _CABLE_TAPS.items():
            if data.startswith(prefix):
                cable = await _cable(context, data, prefix)
                if cable is None:
                    break
                await on_cable(query, context, cable, editor)
                return
    await query.answer(context.pages.render_page("stale_button"))


async def _cable(context: BotContext, data: str, prefix: str) -> StoredCable | None:
    head = data if prefix != TO else data.rpartition(":")[0]
    rowid = number_after(head, prefix, below=MAX_ROW_ID + 1)
    cable_id = await _drafts(context).cable_of_row(rowid) if rowid else None
    return await context.cables.get(cable_id) if cable_id else None


def _notice(context: BotContext, what: str, **more: Any) -> str:
    return context.pages.render_page("review_notice", what=what, **more)


async def _decide(
    query: CallbackQuery, context: BotContext, stored: StoredDraft, editor: Editor, status: str
) -> None:
    if status == ACCEPTED:
        try:
            await living_situation(context, stored.situation_id)
        except SituationRemoved as gone:
            await query.answer(_notice(context, "removed", situation=gone.situation_id))
            return
    decided = stored.status == WAITING and await _drafts(context).decide(
        stored.id, status, editor.id
    )
    what = ("accepted" if status == ACCEPTED else "skipped") if decided else "taken"
    if decided:
        log.info("draft %s id=%d cable=%s editor=%d", status, stored.id, stored.cable_id,
                 editor.id)  # fmt: skip
    await _show_next(query, context, stored.cable_id, stored.position, _notice(context, what))


async def _accept(q: CallbackQuery, c: BotContext, s: StoredDraft, e: Editor) -> None:
    await _decide(q, c, s, e, ACCEPTED)


async def _skip(q: CallbackQuery, c: BotContext, s: StoredDraft, e: Editor) -> None:
    await _decide(q, c, s, e, SKIPPED)


async def _edit(query: CallbackQuery, context: BotContext, stored: StoredDraft, _: Editor) -> None:
    """Take the editor's next message as the draft's new value or label."""
    if stored.status != WAITING or query.message is None or context.user_data is None:
        await _show_next(query, context, stored.cable_id, stored.position,
                         _notice(context, "taken"))  # fmt: skip
        return
    context.user_data[EDIT_KEY] = (stored.id, query.message.chat.id, query.message.message_id)
    text, keyboard = await _card(context, stored, editing=True)
    await show_in_place(query, text, keyboard)


async def _voice(
    query: CallbackQuery, context: BotContext, stored: StoredDraft, _: Editor
) -> None:
    """The draft in the next voice its sentence allows."""
    if stored.status != WAITING:
        await _show_next(query, context, stored.cable_id, stored.position,
                         _notice(context, "taken"))  # fmt: skip
        return
    revoiced = next_voice(stored.draft, await _situation_or_new(context, stored))
    if revoiced is None or not await _drafts(context).rewrite(stored.id, revoiced):
        await query.answer(_notice(context, "one_voice"))
        return
    text, keyboard = await _card(context, replace(stored, draft=revoiced))
    await show_in_place(query, text, keyboard)


_DRAFT_TAPS: Mapping[str, Callable[..., Awaitable[None]]] = {
    ACCEPT: _accept, EDIT: _edit, VOICE: _voice, SKIP: _skip,
}  # fmt: skip


async def _review(
    query: CallbackQuery, context: BotContext, cable: StoredCable, _: Editor
) -> None:
    await _show_next(query, context, cable.id, -1, None)


async def _stop(query: CallbackQuery, context: BotContext, cable: StoredCable, _: Editor) -> None:
    text, keyboard = await _summary(context, cable)
    await show_in_place(query, text, keyboard)


async def _rest(query: CallbackQuery, context: BotContext, cable: StoredCable, e: Editor) -> None:
    """Accept every draft of the cable still waiting."""
    try:
        await living_situation(context, await _drafts(context).target(cable.id))
    except SituationRemoved as gone:
        await query.answer(_notice(context, "removed", situation=gone.situation_id))
        return
    count = await _drafts(context).accept_rest(cable.id, e.id)
    text, keyboard = await _summary(context, cable)
    await show_in_place(query, text, keyboard, _notice(context, "rest", count=count))


async def _publish(
    query: CallbackQuery, context: BotContext, cable: StoredCable, e: Editor
) -> None:
    try:
        published = await publish_accepted(context, _drafts(context), cable, e)
    except SituationRemoved as gone:
        await query.answer(_notice(context, "removed", situation=gone.situation_id))
        return
    except InputError as exc:
        await query.answer(str(exc)[:200])
        return
    text = context.pages.render_page(
        "review_published", cable=cable, situation=published.situation,
        change=published.change, created=published.created,
    )  # fmt: skip
    await show_in_place(query, text, None)


async def _into(query: CallbackQuery, context: BotContext, cable: StoredCable, _: Editor) -> None:
    """Offer the situations the drafts can go into: a new one, or one that exists."""
    choices = (await _drafts(context).situation_choices())[-SITUATIONS_SHOWN:]
    rows = [[_button(f"🆕 A new one: {cable.title}", f"{TO}{cable.rowid}:0")]]
    rows += [[_button(f"📂 {title}", f"{TO}{cable.rowid}:{row}")] for row, _, title in choices]
    text = context.pages.render_page("review_into", cable=cable)
    await show_in_place(query, text, InlineKeyboardMarkup(rows))


async def _to(query: CallbackQuery, context: BotContext, cable: StoredCable, _: Editor) -> None:
    row = number_after(query.data, f"{TO}{cable.rowid}:", below=MAX_ROW_ID + 1)
    choices = {r: slug for r, slug, _ in await _drafts(context).situation_choices()}
    if row is None or (row and row not in choices):
        await query.answer(context.pages.render_page("stale_button"))
        return
    await _drafts(context).aim(cable.id, choices.get(row))
    text, keyboard = await _summary(context, cable)
    await show_in_place(query, text, keyboard)


_CABLE_TAPS: Mapping[str, Callable[..., Awaitable[None]]] = {
    REVIEW_PREFIX: _review, STOP: _stop, PUBLISH: _publish, REST: _rest, INTO: _into, TO: _to,
}  # fmt: skip


# ---------------------------------------------------------------------- an edit typed
class AwaitingEdit(filters.MessageFilter):
    """A text (not a command) from a user whose last review tap was Edit, in that chat."""

    def __init__(self, user_data: Mapping[int, dict[Any, Any]]) -> None:
        super().__init__(name="AwaitingEdit")
        self.user_data = user_data  # the Application's, read without adding to it

    def filter(self, message: Message) -> bool:
        user = message.from_user
        if user is None or not message.text or message.text.startswith("/"):
            return False
        pending = self.user_data.get(user.id, {}).get(EDIT_KEY)
        return pending is not None and pending[1] == message.chat.id


@editor_only("review")
async def take_edit(update: Update, context: BotContext) -> None:
    """Keep the value or label typed after Edit, and show the card again, in place."""
    message = update.effective_message
    waiting = context.user_data
    pending = waiting.pop(EDIT_KEY, None) if waiting is not None else None
    if message is None or waiting is None or pending is None:
        return
    draft_id, chat_id, card_id = pending
    stored = await _drafts(context).get(draft_id)
    if stored is None or stored.status != WAITING:
        await message.reply_html(_notice(context, "edit_gone"))
        return
    try:
        draft = edited(stored.draft, message.text or "")
    except InputError as exc:
        waiting[EDIT_KEY] = pending  # the next message may get it right
        await message.reply_html(context.pages.render_page("review_problem", problem=str(exc)))
        return
    if not await _drafts(context).rewrite(stored.id, draft):
        await message.reply_html(_notice(context, "edit_gone"))
        return
    text, keyboard = await _card(context, replace(stored, draft=draft))
    try:
        await context.bot.edit_message_text(text, chat_id, card_id, reply_markup=keyboard)
    except BadRequest:  # the card is gone or too old: show it anew
        await message.reply_html(text, reply_markup=keyboard)


# ---------------------------------------------------------------------- what is shown
async def _show_next(
    query: CallbackQuery, context: BotContext, cable_id: str, after: int, notice: str | None
) -> None:
    """The cable's next waiting draft, or its summary when none is left."""
    following = await _drafts(context).next_waiting(cable_id, after)
    keyboard: Keyboard | None
    if following is not None:
        text, keyboard = await _card(context, following)
    else:
        cable = await context.cables.get(cable_id)
        assert cable is not None  # drafts belong to a stored cable
        text, keyboard = await _summary(context, cable)
    await show_in_place(query, text, keyboard, notice)


async def _situation_or_new(context: BotContext, stored: StoredDraft) -> Situation | None:
    try:
        return await living_situation(context, stored.situation_id)
    except SituationRemoved:
        return None


async def _card(
    context: BotContext, stored: StoredDraft, *, editing: bool = False
) -> tuple[str, Keyboard]:
    """One draft's card and its buttons."""
    cable = await context.cables.get(stored.cable_id)
    assert cable is not None  # drafts belong to a stored cable
    situation = await _situation_or_new(context, stored)
    draft = stored.draft
    # A new situation made from the cable: its sections, no sides, the cable its one source.
    shape = situation or Situation("", cable.title, "", sections=DEFAULT_SECTIONS)
    today = date.today().isoformat()
    kind, row = draft_row(draft, shape, cable.id, "", draft.as_of or cable.published or today,
                          datetime.now(UTC).isoformat(timespec="seconds"))  # fmt: skip
    cited = model_cable(cable)
    statement = as_statement(kind, row, cited)
    footer = cited
    if situation is not None:  # the footer's credit there, with this statement among them
        now = await context.desks.get(situation.id).renderer.facts_now()
        facts = [*now.facts, *([statement] if isinstance(statement, Fact) else [])]
        cables = [*now.cables, *([] if any(c.id == cable.id for c in now.cables) else [cited])]
        footer = credit(facts, cables) or cited
    counts = await _drafts(context).counts(cable.id)
    at = draft.start - draft.sentence_start
    quoted = draft.sentence[at : at + len(draft.quote)] if draft.quote else ""
    before, after = (draft.sentence[:at], draft.sentence[at + len(quoted) :]) if quoted else (
        draft.sentence, "")  # fmt: skip
    text = context.pages.render_page(
        "review_card", cable=cable, draft=draft, number=stored.position + 1,
        total=sum(counts.values()), accepted=counts[ACCEPTED], whose=whose(draft),
        fact=statement if isinstance(statement, Fact) else None,
        claim=None if isinstance(statement, Fact) else statement, credit=footer,
        before=_tail(before), quoted=quoted, after=shorten(after, SENTENCE_AROUND),
        situation=situation, editing=editing,
    )  # fmt: skip
    keyboard = InlineKeyboardMarkup([
        [_button("✅ Accept", f"{ACCEPT}{stored.id}"), _button("✏️ Edit", f"{EDIT}{stored.id}"),
         _button("🗣 Voice", f"{VOICE}{stored.id}")],
        [_button("⏭ Skip", f"{SKIP}{stored.id}"), _button("⏹ Stop", f"{STOP}{cable.rowid}")],
    ])  # fmt: skip
    return text, keyboard


async def _summary(context: BotContext, cable: StoredCable) -> tuple[str, Keyboard | None]:
    """Where the cable's drafts stand and go, with what can be done next."""
    counts = await _drafts(context).counts(cable.id)
    target = await _drafts(context).target(cable.id)
    try:
        situation, removed = await living_situation(context, target), None
    except SituationRemoved:
        situation, removed = None, target
    accepted, waiting = counts[ACCEPTED], counts[WAITING]
    text = context.pages.render_page(
        "review_summary", cable=cable, accepted=accepted, skipped=counts[SKIPPED],
        waiting=waiting, published=counts["published"], situation=situation, removed=removed,
    )  # fmt: skip
    rows = []
    if accepted:
        rows.append([_button(f"📣 Publish {accepted}", f"{PUBLISH}{cable.rowid}")])
    if waiting:
        rows.append([_button(f"📝 Review the {waiting} left", f"{REVIEW_PREFIX}{cable.rowid}")])
        rows.append([_button(f"✅ Accept the {waiting} left", f"{REST}{cable.rowid}")])
    if accepted or waiting:
        rows.append([_button("📂 Into another situation", f"{INTO}{cable.rowid}")])
    return text, InlineKeyboardMarkup(rows) if rows else None


def _tail(text: str) -> str:
    """The last SENTENCE_AROUND characters of text, cut at a word, with "…" before."""
    if len(text) <= SENTENCE_AROUND:
        return text
    kept = text[-(SENTENCE_AROUND - 1) :]
    return "…" + kept.partition(" ")[2] if " " in kept else "…" + kept
