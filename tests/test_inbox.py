"""An update the bot cannot read never blocks a start: it is set aside (kept, logged once,
never handled again), and the updates around it are handled (bot/plumbing/inbox.py)."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bench import factories
from bot.plumbing.inbox_store import INBOX, inbox_path
from bot.plumbing.update_shape import read_update
from bot.settings import Settings
from briefings.database import Database, Schema
from tests.auxil.fake_telegram import FakeTelegram
from tests.conftest import running_bot

# The inbox as the version before set-aside updates wrote it.
INBOX_BEFORE = Schema("inbox", INBOX.migrations[:1])


def message_update(update_id: Any, text: str, chat_id: int) -> dict[str, Any]:
    return {"update_id": update_id, **factories.message(text, factories.private_chat(chat_id))}


UNREADABLE = [
    # What a webhook accepted before it checked update_id: stored under a rowid of SQLite's.
    json.dumps(message_update(None, "/help", 9201)),
    json.dumps({"update_id": 11, "message": 5}),
    json.dumps({"update_id": 12, "message": {"text": "no date, no chat"}}),
    "{cut short",
]


def key_of(body: str) -> int | None:
    try:
        update_id = json.loads(body).get("update_id")
    except ValueError:
        return None
    return update_id if isinstance(update_id, int) else None


async def store_left_over(database: Path, bodies: list[str]) -> None:
    """An inbox a stop left holding these bodies, in the file's layout before the fix: each
    under its update_id, or a rowid of SQLite's where that is not a whole number."""
    inbox = await Database.open(inbox_path(database), (INBOX_BEFORE,))
    try:
        async with inbox.transaction():
            await inbox.executemany(
                "INSERT INTO inbox (update_id, body, received_at) VALUES (?, ?, ?)",
                [(key_of(body), body, "2026-12-01T00:00:00+00:00") for body in bodies],
            )
    finally:
        await inbox.close()


async def test_an_unreadable_update_is_set_aside_and_the_bot_starts(
    settings: Settings, telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    readable = json.dumps(message_update(100, "/help", 9202))
    await store_left_over(settings.database_path, [*UNREADABLE, readable])
    caplog.set_level(logging.INFO)
    async with running_bot(settings, telegram) as bot:
        await telegram.wait_for(lambda: telegram.sent(9202), 30)  # the readable one, handled
        await bot.settled()
        assert telegram.sent(9201) == []
    set_aside = [r.getMessage() for r in caplog.records if "set aside" in r.getMessage()]
    assert len(set_aside) == 1 and "4 updates" in set_aside[0]
    with sqlite3.connect(inbox_path(settings.database_path)) as conn:
        kept = [row[0] for row in conn.execute("SELECT body FROM set_aside ORDER BY id")]
        left = conn.execute("SELECT COUNT(*) FROM inbox").fetchone()[0]
    assert kept == UNREADABLE and left == 0

    # The next start neither replays nor logs them again.
    caplog.clear()
    async with running_bot(settings, telegram) as bot:
        await bot.say("/help")
    assert not [r for r in caplog.records if "set aside" in r.getMessage()]
    assert telegram.sent(9201) == []


def test_updates_as_telegram_sends_them_are_read() -> None:
    # The shape check refuses only types Telegram never sends: every kind the bot handles,
    # as the Bot API documents it, passes (with the fields Telegram leaves out left out).
    on = {"message_id": 3, "date": 1_700_000_000, "chat": factories.group_chat()}
    member = {"user": factories.user(), "status": "member"}
    bodies = [
        factories.message("/brief", factories.group_chat(), factories.editor()),
        factories.message("/start forces", reply_to_message={**on, "text": "earlier"}),
        factories.callback_query("section:forces", on),
        factories.inline_query("forces"),
        {"edited_message": factories.message("/brief")["message"]},
        {"my_chat_member": {"chat": factories.group_chat(), "from": factories.editor(),
                            "date": 1_700_000_000, "old_chat_member": member,
                            "new_chat_member": {**member, "status": "left"}}},
    ]  # fmt: skip
    for n, body in enumerate(bodies):
        assert read_update({**body, "update_id": 50 + n}, None) is not None, body  # type: ignore[arg-type]
