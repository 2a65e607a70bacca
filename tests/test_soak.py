"""Soak: thousands of random updates through the fake Bot API. No unhandled error, every
command answered, and the database unchanged (no editor among the senders)."""

from __future__ import annotations

import logging
import random
import sqlite3
import string
import time
from pathlib import Path
from typing import Any

import pytest

from bench import factories
from bot.commands import EDITOR_COMMANDS, PUBLIC_COMMANDS
from tests.auxil.fake_telegram import BOT_USERNAME, FakeTelegram
from tests.conftest import RunningBot, start_bot, stop_bot

UPDATES = 3000
SEED = 20261125


def snapshot(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {
            t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
            for t in tables
            # The feed poller's bookkeeping, readers' own subscriptions and the updates in
            # hand (the inbox) may change.
            if t not in ("feed_state", "subscribers", "outbox", "inbox")
        }


def random_text(rng: random.Random, size: int) -> str:
    alphabet = string.printable + "<>&\"'🇺🇦עברית\u202e\x00\x1b"
    return "".join(rng.choice(alphabet) for _ in range(size))


def random_update(rng: random.Random, n: int) -> tuple[dict[str, Any], bool]:
    """One random update, and whether the bot owes it an answer (a command in a private chat)."""
    chat_id = 100_000 + n  # a chat per update: every answer can be traced to its update
    chat = factories.private_chat(chat_id)
    kind = rng.randrange(12)
    commands = [c.name for c in (*PUBLIC_COMMANDS, *EDITOR_COMMANDS)]
    if kind <= 3:
        name = rng.choice(commands)
        args = random_text(rng, rng.choice([0, 5, 50, 400]))
        return factories.message(f"/{name} {args}".strip(), chat), True
    if kind == 4:  # an unknown command; one addressed to another bot (/x@other) gets silence
        text = "/" + random_text(rng, rng.randrange(1, 80)).strip()
        return factories.message(text, chat), "@" not in text.split()[0]
    if kind == 5:  # a button: forged, stale, or real data on a message that does not exist
        data = rng.choice(
            ["section:forces", "section:nope", "add:save", "x" * 64, "add:section:claim"]
        )
        on = {"message_id": rng.randrange(1, 10**6), "date": 0, "chat": chat}
        return factories.callback_query(data, on, factories.user(chat_id)), False
    if kind == 6:
        body = factories.message("/forces", chat)["message"]
        return {"edited_message": dict(body, edit_date=int(time.time()))}, False
    if kind == 7:
        channel = {"id": -1_000_000 - n, "type": "channel", "title": "News"}
        return {"channel_post": factories.message(rng.choice(["/forces", "hello"]), channel)[
            "message"
        ] | {"sender_chat": channel}}, False  # fmt: skip
    if kind == 8:  # no text at all: a sticker
        message = factories.message(None, chat)
        message["message"]["sticker"] = {
            "file_id": "s", "file_unique_id": "u", "width": 1, "height": 1,
            "is_animated": False, "is_video": False, "type": "regular",
        }  # fmt: skip
        return message, False
    if kind == 9:  # huge or empty text
        return factories.message(rng.choice(["", " ", random_text(rng, 4096)]), chat), False
    if kind == 10:  # an update type the bot does not handle
        answer = {"poll_id": str(n), "option_ids": [0], "option_persistent_ids": ["a"],
                  "user": factories.user(chat_id)}  # fmt: skip
        return {"poll_answer": answer}, False
    group = factories.group_chat(-500_000 - n)
    text = rng.choice(["/forces", f"/forces@{BOT_USERNAME}", "/forces@other_bot", "chatter"])
    return factories.message(text, group, factories.user(chat_id)), False


async def test_soak(
    make_settings: Any, telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(user_commands_per_minute=10_000, free_sends_per_second=0)
    # 3,000 replies as fast as the bot makes them: this checks what hostile input does, not
    # Telegram's 30 a second (tests/test_telegram_limits.py does), so the fake lifts it and
    # the bot paces nothing.
    telegram.free_per_second = None
    app = await start_bot(settings)
    bot = RunningBot(app, telegram)
    rng = random.Random(SEED)
    owed: set[int] = set()
    may_subscribe: set[int] = set()
    try:
        await bot.first_poll()
        before = snapshot(settings.database_path)
        with caplog.at_level(logging.WARNING):
            for n in range(UPDATES):
                update, answer_owed = random_update(rng, n)
                await telegram.push_update(update)
                if answer_owed:
                    owed.add(100_000 + n)
                text = (update.get("message") or {}).get("text", "")
                if text.startswith(("/subscribe", "/daily", "/start")):
                    may_subscribe.add(100_000 + n)
            await bot.say("/help")  # taken after all of the above...
            await bot.settled()  # ...and they are all handled now
        after = snapshot(settings.database_path)
    finally:
        await stop_bot(app)

    answered = {int(c.params["chat_id"]) for c in telegram.sent()}
    assert owed <= answered, f"{len(owed - answered)} commands got no answer"
    assert after == before  # facts, claims, history and cables: untouched
    with sqlite3.connect(settings.database_path) as conn:
        subscribed = {row[0] for row in conn.execute("SELECT chat_id FROM subscribers")}
    assert subscribed <= may_subscribe  # only readers who asked to be subscribed
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], errors[0].getMessage()
    refusals = [r for r in caplog.records if "refused editor command" in r.getMessage()]
    assert refusals  # non-editors did try editor commands, and were refused
    print(f"\nsoak: {UPDATES} updates, {len(owed)} commands owed an answer, all answered")
