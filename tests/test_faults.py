"""The Bot API failing under getUpdates: the bot keeps running and catches up, losing and
repeating nothing. Also SIGTERM in the middle of a delivery."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bench import factories
from bench.fake_feed import FakeFeed
from tests.auxil.fake_telegram import FakeTelegram
from tests.conftest import CPU, RunningBot, start_bot, stop_bot
from tests.test_delivery_at_scale import chats_reached, delivery_ready

READERS = range(7000, 7006)


async def every_reader_answered_once(bot: RunningBot) -> None:
    for chat_id in READERS:
        await bot.telegram.push_update(
            factories.message("/forces", factories.private_chat(chat_id))
        )
    telegram = bot.telegram
    await telegram.wait_for(
        lambda: {int(c.params["chat_id"]) for c in telegram.delivered()} >= set(READERS), 30
    )
    await bot.say("/help")  # taken after every /forces above...
    await bot.settled()  # ...which are all handled now: a duplicate would show below
    answered = Counter(int(c.params["chat_id"]) for c in telegram.delivered())
    assert all(answered[chat_id] == 1 for chat_id in READERS), answered


@pytest.mark.parametrize(
    ("status", "description", "options"),
    [
        (502, "Bad Gateway", {"times": 3}),
        (500, "Internal Server Error", {"times": 2}),
        (429, "Too Many Requests: retry after 1", {"retry_after": 1}),
        (0, "", {"action": "drop", "times": 2}),
    ],
)
async def test_get_updates_faults_lose_and_repeat_nothing(
    make_settings: Any, telegram: FakeTelegram, status: int, description: str,
    options: dict[str, Any],
) -> None:  # fmt: skip
    app = await start_bot(make_settings())
    bot = RunningBot(app, telegram)
    try:
        await bot.first_poll()
        telegram.fail_next("getUpdates", status, description, **options)
        await every_reader_answered_once(bot)
        assert app.updater is not None and app.updater.running
    finally:
        await stop_bot(app)


async def test_a_get_updates_that_times_out_is_retried(
    make_settings: Any, telegram: FakeTelegram
) -> None:
    app = await start_bot(make_settings(), poll_timeout=1)
    bot = RunningBot(app, telegram)
    try:
        await bot.first_poll()
        # Hold the next long poll past the client's read timeout (poll timeout + 5 s).
        telegram.fail_next("getUpdates", 500, "late", retry_after=8, action="hang")
        await every_reader_answered_once(bot)
    finally:
        await stop_bot(app)


@CPU  # timed
async def test_sigterm_mid_delivery_stops_cleanly_and_the_next_start_resumes(
    tmp_path: Path, telegram: FakeTelegram, feed: FakeFeed
) -> None:
    database = tmp_path / "cables.db"
    subscribers = list(range(8000, 8120))
    run_bot = await delivery_ready(tmp_path, database, subscribers, telegram, feed, rate=20)

    first = await run_bot()
    await telegram.wait_for(lambda: len(chats_reached(telegram)) >= 30, timeout=60)
    first.send_signal(signal.SIGTERM)
    asked = time.monotonic()
    _, stderr = await asyncio.wait_for(first.communicate(), 30)
    took = time.monotonic() - asked
    assert first.returncode == 0, stderr.decode()[-2000:]
    assert took < 5
    with sqlite3.connect(database) as conn:
        statuses = dict(conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status"))
    sent_before = statuses.get("sent", 0)
    assert 30 <= sent_before < len(subscribers)
    assert sent_before == len(chats_reached(telegram))  # every send was written down

    second = await run_bot()
    try:
        await telegram.wait_for(lambda: set(chats_reached(telegram)) >= set(subscribers), 60)
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.communicate(), 30)
    reached = chats_reached(telegram)
    assert set(reached) == set(subscribers) and set(reached.values()) == {1}
