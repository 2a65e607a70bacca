"""What the bot keeps rendered (briefings, the chart, the situations, pushes) is kept by the
content's stamp in the database (briefings/stamp.py): a write by another connection, as the
CLI or a second bot process would make, is seen at the next read, with no call into the bot.
And a hold the editors are to be told of lives in the database, not in one process."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

from bench import factories
from bot.push.outbox import Delivery
from briefings.rendering.telegram_html import visible_text
from tests.auxil.fake_telegram import FakeTelegram
from tests.conftest import RunningBot, start_bot, stop_bot
from tests.test_push import daily_briefings

READER = factories.READER_ID
THIRD = "belarus_third_of_forces"  # a claim the chart draws: "approximately 20,000 troops"


async def write(path: Path, *statements: tuple[str, tuple[Any, ...]]) -> None:
    """One transaction by a connection of the test's own: another process, as far as the bot
    knows. Off the event loop: the bot may hold the writer a moment, and a loop blocked on
    the lock could not let it go."""

    def run() -> None:
        with sqlite3.connect(path, timeout=30) as conn:
            for sql, params in statements:
                conn.execute(sql, params)
        conn.close()

    await asyncio.to_thread(run)


def text_of(call: Any) -> str:
    return visible_text(call.params.get("text") or call.params.get("caption") or "")


async def test_a_fact_written_elsewhere_is_in_the_next_forces_and_its_chart_redrawn(
    bot: RunningBot,
) -> None:
    path = bot.services.settings.database_path
    assert "approximately 20,000 troops" in text_of(await bot.say("/forces"))
    await write(path, ("UPDATE claims SET value_low = 31000, value_given = 'approximately"
                       " 31,000 troops' WHERE key = ?", (THIRD,)))  # fmt: skip
    assert "approximately 31,000 troops" in text_of(await bot.say("/forces"))
    first, second = bot.telegram.photos(READER)
    assert [p.params["_uploaded"] for p in (first, second)] == [True, True]
    assert second.params["photo"] != first.params["photo"]  # drawn again, from the new value


async def test_a_situation_chosen_elsewhere_is_in_the_next_situations_and_brief(
    bot: RunningBot,
) -> None:
    path = bot.services.settings.database_path
    assert "Harbour Watch" not in text_of(await bot.say("/situations"))
    before = text_of(await bot.say("/brief"))
    await write(
        path,
        ("INSERT INTO situations (id, title, period) VALUES"
         " ('harbour-watch', 'Harbour Watch', 'since June')", ()),
        ("INSERT INTO situation_sections (situation_id, name, kind, button, title, summary,"
         " position) VALUES ('harbour-watch', 'brief', 'brief', 'Brief', 'Brief',"
         " 'The whole picture', 0)", ()),
        ("INSERT INTO app_state (key, value) VALUES ('current_situation', 'harbour-watch')", ()),
    )  # fmt: skip
    assert "Harbour Watch" in text_of(await bot.say("/situations"))
    brief = text_of(await bot.say("/brief"))
    assert "Harbour Watch" in brief and brief != before


async def test_a_situation_retitled_elsewhere_is_in_the_next_situations_not_before(
    bot: RunningBot,
) -> None:
    # The registry keeps to a stamp of its own (situation_writes): a fact's change leaves it
    # as it was, a write to the situation's own rows is seen at the next command.
    path = bot.services.settings.database_path
    registry = bot.services.situations
    await bot.say("/situations")
    kept = await registry.all()
    await write(path, ("UPDATE claims SET value_given = value_given WHERE key = ?", (THIRD,)))
    await bot.say("/situations")
    assert await registry.all() is kept  # not read again for a fact's write
    await write(path, ("UPDATE situations SET title = 'Belarus, retitled'", ()))
    assert "Belarus, retitled" in text_of(await bot.say("/situations"))


async def test_a_fact_written_elsewhere_is_in_the_next_daily_push(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    path = bot.services.settings.database_path
    await bot.say("/daily on 18:30")
    assert "120k troops" in text_of(await bot.say("/brief"))  # rendered, and kept
    await write(path, ("UPDATE claims SET value_low = 130000, value_given = '130k troops'"
                       " WHERE key = 'ukraine_massed_120k'", ()))  # fmt: skip
    assert bot.app.job_queue is not None
    [job] = bot.app.job_queue.get_jobs_by_name("daily-due")
    with sqlite3.connect(path) as conn:
        [(due_at,)] = conn.execute("SELECT daily_next_at FROM subscribers").fetchall()
    conn.close()
    bot.services.daily.clock = lambda: due_at + 1
    await job.run(bot.app)
    [daily] = await telegram.wait_for(lambda: daily_briefings(telegram))
    text = visible_text(daily.params["text"])
    assert "130k troops" in text and "120k troops" not in text


async def test_a_cable_rewritten_elsewhere_is_in_its_next_push(bot: RunningBot) -> None:
    path = bot.services.settings.database_path
    with sqlite3.connect(path) as conn:
        [(cable_id, title)] = conn.execute("SELECT id, title FROM cables LIMIT 1").fetchall()
    conn.close()
    delivery = Delivery(id=1, kind="cable", cable_id=cable_id, chat_id=READER, attempts=0)
    pushes = bot.services.pushes
    first = await pushes.compose(delivery)
    assert first is not None and title in visible_text(first.text)
    assert await pushes.compose(delivery) is first  # composed once, while nothing changes
    await write(
        path, ("UPDATE cables SET title = 'A title mended by hand' WHERE id = ?", (cable_id,))
    )
    again = await pushes.compose(delivery)
    assert again is not None and "A title mended by hand" in visible_text(again.text)


async def test_a_hold_a_stopped_process_left_untold_is_told_once_at_the_next_start(
    make_settings: Any, telegram: FakeTelegram
) -> None:
    settings = make_settings()
    app = await start_bot(settings)
    await stop_bot(app)
    # What a process stopped between holding a cable (the check before queuing) and telling
    # the editors leaves behind.
    with sqlite3.connect(settings.database_path) as conn:
        [(cable_id,)] = conn.execute("SELECT id FROM cables LIMIT 1").fetchall()
        conn.execute(
            "INSERT INTO cable_holds (cable_id, reason, held_at, told) VALUES (?, ?, ?, 0)",
            (cable_id, "the “Read the cable” button: a test's reason", time.strftime("%F")),
        )
    conn.close()

    def told() -> list[Any]:
        return [c for c in telegram.sent(factories.EDITOR_ID, "sendMessage")
                if "a test's reason" in visible_text(c.params["text"])]  # fmt: skip

    app = await start_bot(settings)
    try:
        await telegram.wait_for(lambda: told() or None)
        await app.bot_data.services.publisher.poll_feed()  # a poll tells no one again
    finally:
        await stop_bot(app)
    assert len(told()) == 1
