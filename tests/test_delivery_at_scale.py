"""Delivery at Telegram's free rate, and a delivery that survives SIGKILL.

These run for real time: 1,000 pushes at 30 per second take about 34 seconds.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.fake_feed import FakeFeed, fixture
from bench.storage import open_store, publisher_on, write
from bot.push.subscribers import SubscriberStore
from tests.auxil.fake_telegram import TOKEN, FakeTelegram
from tests.conftest import PACED, RunningBot, start_bot, stop_bot

NEW_CABLE = "https://thebismarckcables.substack.com/p/fixture-cable-c"


def chats_reached(telegram: FakeTelegram) -> Counter[int]:
    return Counter(
        int(call.params["chat_id"])
        for call in telegram.delivered()
        if "fixture-cable-c" in str(call.params.get("reply_markup"))
    )


@PACED
async def test_a_thousand_subscribers_at_thirty_per_second(
    make_settings: Any, telegram: FakeTelegram, feed: FakeFeed
) -> None:
    # The fake enforces Telegram's free limit, 30 a second in all, with 429s.
    blocked = {1000 + n for n in range(0, 1000, 100)}  # ten readers who blocked the bot
    telegram.blocked = blocked
    app = await start_bot(make_settings(feed_url=feed.url, broadcast_rate=30))
    bot = RunningBot(app, telegram)
    try:
        await bot.first_poll()
        for chat_id in range(1000, 2000):
            await bot.services.subscribers.subscribe(chat_id, "private", None)
        feed.body = fixture("bismarck-feed-v2.xml")
        started = time.monotonic()
        await bot.services.publisher.poll_feed()
        await telegram.wait_for(lambda: len(chats_reached(telegram)) >= 990, timeout=120)
        elapsed = time.monotonic() - started
        await bot.services.worker.stop()
    finally:
        await stop_bot(app)

    reached = chats_reached(telegram)
    assert set(reached) == set(range(1000, 2000)) - blocked
    assert set(reached.values()) == {1}  # each exactly once
    pushes = [c for c in telegram.delivered() if int(c.params["chat_id"]) in range(1000, 2000)]
    for call in pushes[:5]:  # (the editor is told of the cable's drafts besides)
        urls = [b["url"] for row in call.params["reply_markup"]["inline_keyboard"] for b in row]
        assert urls[0].startswith(f"{NEW_CABLE}?") and "utm_campaign=fixture-cable-c" in urls[0]
        assert "utm_campaign=fixture-cable-c" in urls[1]
    with sqlite3.connect(make_settings().database_path) as conn:
        statuses = dict(conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status"))
        inactive = {r[0] for r in conn.execute("SELECT chat_id FROM subscribers WHERE blocked")}
    assert statuses == {"sent": 990, "blocked": 10}
    assert inactive == blocked
    # 1,000 sends at 30 per second need 33.3 s: never less. How close to it a machine comes
    # is a measurement, the benchmark's ("B3 broadcast 1,000 at 30/s").
    print(f"\n1,000 subscribers at 30/s: {elapsed:.1f} s, 429s answered: {telegram.throttled}")
    assert elapsed >= 33


async def delivery_ready(
    tmp_path: Path,
    database: Path,
    subscribers: list[int],
    telegram: FakeTelegram,
    feed: FakeFeed,
    rate: int,
) -> Callable[[], Awaitable[asyncio.subprocess.Process]]:
    """A database with subscribers and a primed feed, a new cable in the feed, and a way
    to start `python -m bot run` on it as its own process."""
    store = await open_store(database)
    publisher = publisher_on(store.db, feed.url)
    try:
        for chat_id in subscribers:
            await SubscriberStore(store.db).subscribe(chat_id, "private", None)
        await publisher.poll_feed()  # the first poll records the back catalogue
    finally:
        await publisher.ingest.close()
        await store.db.close()
    feed.body = fixture("bismarck-feed-v2.xml")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ADMIN_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=telegram.base_url, FEED_URL=feed.url,
        DATABASE_PATH=str(database), BROADCAST_RATE=str(rate), LOG_LEVEL="WARNING",
    )  # fmt: skip

    async def run_bot() -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip

    return run_bot


async def test_a_delivery_killed_midway_resumes_without_skipping_anyone(
    tmp_path: Path, telegram: FakeTelegram, feed: FakeFeed
) -> None:
    database = tmp_path / "cables.db"
    subscribers = list(range(5000, 5300))
    run_bot = await delivery_ready(tmp_path, database, subscribers, telegram, feed, rate=30)

    first = await run_bot()
    await telegram.wait_for(lambda: len(chats_reached(telegram)) >= 100, timeout=60)
    first.kill()  # SIGKILL: no chance to flush anything
    await first.wait()
    reached_before_restart = sum(chats_reached(telegram).values())

    second = await run_bot()
    try:
        await telegram.wait_for(lambda: set(chats_reached(telegram)) >= set(subscribers), 60)
    finally:
        second.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(second.communicate(), 30)
    assert second.returncode == 0, stderr.decode()[-2000:]

    reached = chats_reached(telegram)
    duplicates = sum(reached.values()) - len(reached)
    print(f"\nkilled after {reached_before_restart} sends; duplicates after restart: {duplicates}")
    assert set(reached) == set(subscribers)  # nobody skipped
    # At most the batch whose outcomes were not yet written, plus the sends in flight.
    assert duplicates <= 6 + 4
    with sqlite3.connect(database) as conn:
        assert dict(conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status")) == {
            "sent": 300
        }


async def test_a_cables_rows_are_written_in_chunks_and_a_stop_part_way_resumes(
    tmp_path: Path, feed: FakeFeed
) -> None:
    store = await open_store(tmp_path / "fill.db")
    publisher = publisher_on(store.db, feed.url)
    db = store.db
    try:
        async with db.transaction():
            await db.executemany(
                "INSERT INTO subscribers (chat_id, chat_type, subscribed_at, updated_at)"
                " VALUES (?, 'private', 'now', 'now')",
                ((chat_id,) for chat_id in range(1, 12_001)),
            )
        await publisher.poll_feed()  # primed: the back catalogue is not pushed
        feed.body = fixture("bismarck-feed-v2.xml")
        [cable_id] = (await publisher.poll_feed()).new_cables  # three chunks of rows
        assert await db.fetch_value("SELECT COUNT(*) FROM outbox") == 12_000
        assert await db.fetch_value("SELECT COUNT(*) FROM outbox_fills") == 0
        # A stop after the first chunk: its rows are there, and the promise of the rest.
        await write(db, "DELETE FROM outbox WHERE chat_id > 5000")
        await write(db, "INSERT INTO outbox_fills VALUES (?, 5000)", (cable_id,))
        await publisher.resume()  # as the bot does at start
        rows = await db.fetch_all("SELECT chat_id FROM outbox ORDER BY chat_id")
        assert [row[0] for row in rows] == list(range(1, 12_001))  # each subscriber once
        assert await db.fetch_value("SELECT COUNT(*) FROM outbox_fills") == 0
    finally:
        await publisher.ingest.close()
        await db.close()
