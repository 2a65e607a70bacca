"""What changed, pushed: /subscribe updates, the quiet period, one push a day listing every
change, an undo that cancels, the daily's lead, and a kill -9 mid-push. Through the real
Application and the fake Bot API; the updates' clock is set, never slept through."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import factories
from bench.storage import open_store
from bot.app import DAILY_JOB, UPDATES_JOB
from briefings.facts.changes import latest_version
from briefings.facts.editing import Editor, FactEditor
from briefings.facts.values import Value
from briefings.rendering.renderer import BriefingRenderer
from briefings.rendering.telegram_html import visible_text
from tests.auxil.fake_telegram import TOKEN, FakeTelegram
from tests.conftest import RunningBot, running_bot

QUIET = 900
HEAD = "What changed: Belarus masses troops on the Ukrainian border"


def text_of(call: Any) -> str:
    return visible_text(call.params.get("text") or call.params["caption"])


def update_pushes(telegram: FakeTelegram) -> list[Any]:
    return [call for call in telegram.delivered() if HEAD in text_of(call)]


async def run_job(bot: RunningBot, name: str) -> None:
    """Run a scheduled job now, as the JobQueue would."""
    [job] = bot.app.job_queue.get_jobs_by_name(name)  # type: ignore[union-attr]
    await job.run(bot.app)


async def editor_says(bot: RunningBot, text: str, at: float) -> None:
    """An editor's command, made as if at epoch second at."""
    bot.desk.editor.clock = lambda: datetime.fromtimestamp(at, UTC)
    reply = text_of(await bot.send(factories.editor_message(text)))
    assert not reply.startswith("⚠️"), reply


async def add_update_subscribers(bot: RunningBot, chats: range) -> None:
    db = bot.services.db
    async with db.transaction():
        await db.executemany(
            "INSERT INTO subscribers (chat_id, chat_type, subscribed_at, updated_at, updates,"
            " updates_from) VALUES (?, 'private', 'now', 'now', 1, 0)",
            ((chat,) for chat in chats),
        )


async def test_three_changes_in_ten_minutes_make_one_push_each_after_the_quiet_period(
    make_settings: Any, telegram: FakeTelegram
) -> None:
    settings = make_settings(update_quiet_seconds=QUIET, broadcast_rate=1000,
                             paid_broadcast=True)  # fmt: skip
    async with running_bot(settings, telegram) as bot:
        reply = text_of(await bot.say("/subscribe updates"))
        assert "Subscribed to new cables and to what changes" in reply
        status = text_of(await bot.say("/status"))
        assert "What changes in the briefings: pushed too" in status
        await add_update_subscribers(bot, range(1, 1001))
        chats = {*range(1, 1001), factories.READER_ID}
        updates = bot.services.updates
        t0 = time.time()
        await editor_says(bot, "/set russian_troops_in_belarus ~12k by ISW", t0)
        await editor_says(bot, "/claim ukraine_massed_120k verdict plausible", t0 + 300)
        await editor_says(bot, "/retire border_length", t0 + 600)

        updates.clock = lambda: t0 + 600 + QUIET - 1  # still inside the quiet period
        await run_job(bot, UPDATES_JOB)
        assert await bot.services.db.fetch_value(
            "SELECT COUNT(*) FROM outbox WHERE kind = 'update'"
        ) == 0  # fmt: skip

        updates.clock = lambda: t0 + 600 + QUIET + 1
        await run_job(bot, UPDATES_JOB)
        await telegram.wait_for(lambda: len(update_pushes(telegram)) >= len(chats), 30)
        await run_job(bot, UPDATES_JOB)  # again: nothing more to tell
        assert await bot.services.db.fetch_value(
            "SELECT COUNT(*) FROM outbox WHERE kind = 'update'"
        ) == len(chats)  # fmt: skip

        pushes = update_pushes(telegram)
        reached = Counter(int(call.params["chat_id"]) for call in pushes)
        assert set(reached) == chats and set(reached.values()) == {1}  # each exactly once
        text = text_of(pushes[0])
        assert "Russian troops still in Belarus: around 10k → about 12,000 troops" in text
        assert "→ the editors' verdict: plausible" in text
        assert "taken out of the briefing by the editors" in text
        buttons = [b.get("callback_data") for row in pushes[0].params["reply_markup"][
            "inline_keyboard"] for b in row]  # fmt: skip
        assert f"section:forces:{factories.SITUATION}" in buttons  # the brief's buttons

        # A change the next hour waits for the day's limit, then comes alone.
        await editor_says(bot, "/set belarus_active_army ~65k", t0 + 3600)
        updates.clock = lambda: t0 + 3600 + QUIET + 1
        await run_job(bot, UPDATES_JOB)
        assert await bot.services.db.fetch_value(
            "SELECT COUNT(*) FROM outbox WHERE kind = 'update'"
        ) == len(chats)  # fmt: skip
        updates.clock = lambda: t0 + 600 + QUIET + 1 + 86_400
        await run_job(bot, UPDATES_JOB)
        await telegram.wait_for(lambda: len(update_pushes(telegram)) >= 2 * len(chats), 30)
        later = text_of(update_pushes(telegram)[-1])
        assert "Belarus's active-duty army: around 60,000 personnel → about 65,000" in later
        assert "Russian troops still in Belarus" not in later


async def test_an_undo_inside_the_quiet_period_cancels_the_change(
    make_settings: Any, telegram: FakeTelegram
) -> None:
    async with running_bot(make_settings(update_quiet_seconds=QUIET), telegram) as bot:
        await bot.say("/subscribe updates")
        t0 = time.time()
        await editor_says(bot, "/set russian_troops_in_belarus ~12k", t0)
        await editor_says(bot, "/undo", t0 + 60)
        bot.services.updates.clock = lambda: t0 + 60 + QUIET + 1
        await run_job(bot, UPDATES_JOB)
        assert await bot.services.db.fetch_value(
            "SELECT COUNT(*) FROM outbox WHERE kind = 'update'"
        ) == 0  # fmt: skip
        # Nothing is owed later either: the net change was nothing.
        await editor_says(bot, "/set belarus_active_army ~65k", t0 + 7200)
        bot.services.updates.clock = lambda: t0 + 7200 + QUIET + 1
        await run_job(bot, UPDATES_JOB)
        [push] = await telegram.wait_for(lambda: update_pushes(telegram) or None)
        assert "Russian troops" not in text_of(push)


async def test_a_daily_with_no_change_is_one_line_and_with_a_change_leads_with_it(
    bot: RunningBot,
) -> None:
    telegram, daily = bot.telegram, bot.services.daily
    await bot.say("/daily on 08:00 UTC")
    now = time.time()

    async def daily_at(day: int) -> str:
        before = len(telegram.sent(factories.READER_ID))
        daily.clock = lambda: now + day * 86_400 + 1
        await run_job(bot, DAILY_JOB)
        sent = await telegram.wait_for(lambda: telegram.sent(factories.READER_ID)[before:])
        return text_of(sent[-1])

    first = await daily_at(1)
    assert "Your daily briefing" in first and "What changed" not in first  # the brief
    second = await daily_at(2)
    assert second.startswith("☀️ No change in Belarus masses troops on the Ukrainian border since")
    assert second.endswith(". /brief") and "\n" not in second
    await editor_says(bot, "/set russian_troops_in_belarus ~12k", time.time())
    third = await daily_at(3)
    lead = third.split("\n\n")[1]
    assert lead.startswith("What changed since")
    assert "Russian troops still in Belarus: around 10k → about 12,000 troops" in lead
    assert "Bottom line" in third


async def test_subscribe_updates_status_and_unsubscribe(bot: RunningBot) -> None:
    said = text_of(await bot.say("/subscribe updates"))
    assert "Subscribed to new cables and to what changes" in said
    assert "already gets new cables and what changes" in text_of(
        await bot.say("/subscribe updates")
    )
    assert "/subscribe updates also what changes" in text_of(await bot.say("/subscribe now"))
    await bot.say("/unsubscribe")  # stops every push, what changed too
    await bot.say("/subscribe")
    status = text_of(await bot.say("/status"))
    assert "Subscribed to new cables" in status
    assert "What changes in the briefings: not pushed (/subscribe updates)" in status


async def test_a_kill_mid_push_sends_nobody_two(tmp_path: Path, telegram: FakeTelegram) -> None:
    database = tmp_path / "cables.db"
    subscribers = range(7000, 7300)
    store = await open_store(database)
    try:
        an_hour_ago = datetime.fromtimestamp(time.time() - 3600, UTC)
        editing = FactEditor(store, BriefingRenderer(store), clock=lambda: an_hour_ago)
        await editing.set_value("russian_troops_in_belarus", Value.number(12_000, "troops"),
                                Editor(1, "Edith"))  # fmt: skip
        async with store.db.transaction():
            await store.db.executemany(
                "INSERT INTO subscribers (chat_id, chat_type, subscribed_at, updated_at,"
                " updates, updates_from) VALUES (?, 'private', 'now', 'now', 1, 0)",
                ((chat,) for chat in subscribers),
            )
    finally:
        await store.db.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ADMIN_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=telegram.base_url, FEED_URL="http://127.0.0.1:9/",
        DATABASE_PATH=str(database), BROADCAST_RATE="30", LOG_LEVEL="WARNING",
        UPDATE_QUIET_SECONDS="60",
    )  # fmt: skip

    async def run_bot() -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip

    def reached() -> Counter[int]:
        return Counter(int(call.params["chat_id"]) for call in update_pushes(telegram))

    first = await run_bot()
    await telegram.wait_for(lambda: len(reached()) >= 100, timeout=60)
    first.kill()  # SIGKILL: no outcome of the sends in flight is written
    await first.wait()
    second = await run_bot()
    try:
        # Rows go in chat order: the last chat reached, every row has been taken (a stop
        # then writes the outcomes of those in flight).
        await telegram.wait_for(lambda: subscribers[-1] in reached(), timeout=60)
    finally:
        second.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(second.communicate(), 30)
    assert second.returncode == 0, stderr.decode()[-2000:]
    counts = reached()
    assert set(counts.values()) == {1}  # nobody got two
    with sqlite3.connect(database) as conn:
        statuses = dict(conn.execute(
            "SELECT status, COUNT(*) FROM outbox WHERE kind = 'update' GROUP BY status"
        ))  # fmt: skip
    # Each row queued once; those a kill caught between send and outcome are not sent again
    # (at most the sends in flight, and the outcomes not yet written).
    assert statuses["sent"] + statuses.get("cancelled", 0) == len(subscribers)
    assert statuses.get("cancelled", 0) <= 10 and len(counts) >= len(subscribers) - 10
    print(f"\nkilled mid-push: {statuses}, reached {len(counts)} of {len(subscribers)} once")


async def test_the_update_job_runs_every_update_check_seconds(
    make_settings: Any, telegram: FakeTelegram
) -> None:
    settings = make_settings(update_quiet_seconds=0, update_check_seconds=0.2)
    async with running_bot(settings, telegram) as bot:
        await bot.say("/subscribe updates")
        await editor_says(bot, "/set russian_troops_in_belarus ~12k", time.time())
        # No job run by hand: its schedule (30 s by default) brings the push.
        [push] = await telegram.wait_for(lambda: update_pushes(telegram) or None, 10)
        assert int(push.params["chat_id"]) == factories.READER_ID


async def test_chats_in_many_chunks_get_a_row_only_if_their_span_has_a_net_change(
    make_settings: Any, telegram: FakeTelegram
) -> None:
    async with running_bot(make_settings(update_quiet_seconds=QUIET), telegram) as bot:
        db, updates = bot.services.db, bot.services.updates
        t0 = time.time()
        await editor_says(bot, "/set russian_troops_in_belarus ~12k", t0)
        first = await latest_version(db)
        await editor_says(bot, "/set belarus_active_army ~65k", t0 + 60)
        await editor_says(bot, "/undo", t0 + 120)
        # Three kinds of chat, side by side in every chunk (chat ids interleaved): marked
        # before the change (told), after it (the set and undo since net to nothing), and
        # pushed an hour ago (the day's limit).
        told, nothing, held = range(1, 15_000, 3), range(2, 15_000, 3), range(3, 15_000, 3)
        async with db.transaction():
            await db.executemany(
                "INSERT INTO subscribers (chat_id, chat_type, subscribed_at, updated_at,"
                " updates, updates_from, update_pushed_at) VALUES (?, 'private', 'now', 'now',"
                " 1, ?, ?)",
                [(chat, 0, None) for chat in told] + [(chat, first, None) for chat in nothing]
                + [(chat, 0, t0 - 3600) for chat in held],
            )  # fmt: skip
        now = t0 + 120 + QUIET + 1
        updates.clock = lambda: now
        until = await latest_version(db)
        assert await updates.queue_due() == len(told)
        rows = await db.fetch_all(
            "SELECT chat_id, since_version, until_version, dedupe_key FROM outbox"
            " WHERE kind = 'update' AND chat_id < 15000 ORDER BY chat_id"
        )
        assert [tuple(row) for row in rows] == [
            (chat, 0, until, f"update:{factories.SITUATION}:{until}:{chat}") for chat in told
        ]
        pushed_at: dict[int, int | None] = {chat: at for chat, at in await db.fetch_all(
            "SELECT chat_id, update_pushed_at FROM subscribers WHERE chat_id < 15000"
        )}  # fmt: skip
        assert {pushed_at[chat] for chat in told} == {now}
        assert {pushed_at[chat] for chat in nothing} == {None}
        assert {pushed_at[chat] for chat in held} == {t0 - 3600}
        marks: dict[int, int] = {chat: version for chat, version in await db.fetch_all(
            "SELECT chat_id, version FROM push_marks WHERE kind = 'update' AND chat_id < 15000"
            " AND situation_id = ?",
            (factories.SITUATION,),
        )}  # fmt: skip
        assert marks == {chat: until for chat in (*told, *nothing)}


async def test_a_change_an_update_push_told_is_not_told_again_by_the_next_brief(
    make_settings: Any, telegram: FakeTelegram
) -> None:
    since = "Since you last looked"
    async with running_bot(make_settings(update_quiet_seconds=QUIET), telegram) as bot:
        await bot.say("/brief")  # read, so a change would lead the next one
        await bot.say("/subscribe updates")
        t0 = time.time()
        await editor_says(bot, "/set russian_troops_in_belarus ~12k", t0)
        bot.services.updates.clock = lambda: t0 + QUIET + 1
        await run_job(bot, UPDATES_JOB)
        [push] = await telegram.wait_for(lambda: update_pushes(telegram) or None)
        assert "Russian troops still in Belarus: around 10k → about 12,000" in text_of(push)
        await bot.services.worker.stop()  # the push's send is over, and what follows it

        assert since not in text_of(await bot.say("/brief"))
        # A later change is told, without the one pushed.
        await editor_says(bot, "/set belarus_active_army ~65k", t0 + 3600)
        brief = text_of(await bot.say("/brief"))
        assert brief.startswith(since)
        assert "Belarus's active-duty army: around 60,000 personnel → about 65,000" in brief
        assert "around 10k → about 12,000" not in brief
