"""Lists longer than a message: pages that each fit Telegram's limits, turned with ‹ Prev and
Next › buttons that edit the list in place."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest

from bot.plumbing.callbacks import number_after
from briefings.rendering.telegram_html import MAX_MESSAGE_LENGTH, visible_length

T = TypeVar("T")

# Each page is split to fit in this much; the rest is room for the line naming the page.
PAGE_TEXT_LIMIT = MAX_MESSAGE_LENGTH - 100
PREV_TEXT = "‹ Prev"
NEXT_TEXT = "Next ›"


def split_pages(
    items: Sequence[T], render: Callable[[Sequence[T]], str], most: int
) -> list[Sequence[T]]:
    """items in pages, in order: each of at most `most` items, and each rendered within a
    message (an item too long on its own still gets a page; its template cuts its fields).
    Always at least one page, empty where there are no items."""
    pages: list[Sequence[T]] = []
    current: list[T] = []
    for item in items:
        candidate = [*current, item]
        if current and (
            len(candidate) > most or visible_length(render(candidate)) > PAGE_TEXT_LIMIT
        ):
            pages.append(current)
            candidate = [item]
        current = candidate
    pages.append(current)
    return pages


def page_named(data: str | None, prefix: str, pages: int) -> int | None:
    """The page (from 0) a ‹ Prev / Next › button's data names, the first for None (the
    command itself); None for a page the list no longer has, or a forged number."""
    return 0 if data is None else number_after(data, prefix, below=pages)


async def turn_page(
    query: CallbackQuery, shown: tuple[str, InlineKeyboardMarkup | None] | None, stale: str
) -> None:
    """Answer a ‹ Prev / Next › tap: the page shown in place, or the stale notice for a page
    the list no longer has."""
    if shown is None:
        await query.answer(stale)
        return
    text, keyboard = shown
    await show_in_place(query, text, keyboard)


def page_row(prefix: str, page: int, pages: int) -> list[list[InlineKeyboardButton]]:
    """The ‹ Prev / Next › row under page (counted from 0) of pages; none for one page."""
    row = []
    if page > 0:
        row.append(InlineKeyboardButton(PREV_TEXT, callback_data=f"{prefix}{page - 1}"))
    if page < pages - 1:
        row.append(InlineKeyboardButton(NEXT_TEXT, callback_data=f"{prefix}{page + 1}"))
    return [row] if row else []


async def show_in_place(
    query: CallbackQuery,
    text: str,
    keyboard: InlineKeyboardMarkup | None,
    notice: str | None = None,
) -> None:
    """Answer a tap (with a short notice, if any) by putting text and keyboard in place of
    the message tapped; where that cannot be (a message too old for Telegram to hand us, a
    photo whose caption cannot become text, one deleted meanwhile), send them as a new
    message."""
    await query.answer(notice)
    message = query.message
    if isinstance(message, Message) and not message.photo:
        try:
            await message.edit_text(text, reply_markup=keyboard)
            return
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return  # the same button tapped twice: nothing to change
    if message is not None:
        await query.get_bot().send_message(message.chat.id, text, reply_markup=keyboard)
