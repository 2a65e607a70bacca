"""The editors' answer to a burst (bot/push/bursts.py): push its held cables, or don't."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest

from bot.context import BotContext
from bot.editors.access import editor_only
from bot.plumbing.callbacks import MAX_ROW_ID, number_after
from bot.push.bursts import BURST_PREFIX, DROP, PUSH

log = logging.getLogger(__name__)

# The question's buttons: "burst:push:<id>" and "burst:drop:<id>".
PATTERN = f"^{BURST_PREFIX}({PUSH}|{DROP}):"


@editor_only("burst")
async def decide_burst(update: Update, context: BotContext) -> None:
    """Push a burst's held cables, or drop the hold: the first tap decides, once."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    data = query.data or ""
    decision = PUSH if data.startswith(f"{BURST_PREFIX}{PUSH}:") else DROP
    burst_id = number_after(data, f"{BURST_PREFIX}{decision}:", below=MAX_ROW_ID + 1)
    decided = (
        await context.publisher.decide_burst(burst_id, decision, user.id) if burst_id else None
    )
    if decided is None:
        await query.answer(context.pages.render_page("stale_button"))
        return
    await query.answer()
    text = context.pages.render_page(
        "editor_burst_decided",
        burst=decided.burst,
        first=decided.first,
        pushed=len(decided.pushed),
        editor_id=user.id,
        subscribers=await context.subscribers.count_active(),
    )
    # The question gives way to its answer, without its buttons: a second tap has none.
    if query.message is not None and hasattr(query.message, "edit_text"):
        try:
            await query.message.edit_text(text, reply_markup=None)
        except BadRequest as exc:  # a message too old to edit, or already saying this
            log.info("burst answer not shown in place id=%s: %s", burst_id, exc)
