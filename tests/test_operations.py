"""Running it for months: health check, online backup, file mode, damaged and full databases."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest

from bench import factories
from bench.storage import open_store
from bot.maintenance import health_problems
from bot.plumbing.inbox import InboxQueue
from bot.plumbing.inbox_store import inbox_path
from briefings.database import DatabaseProblem
from tests.auxil.fake_telegram import FakeTelegram
from tests.conftest import RunningBot
from tests.test_cli import cables_bot, cli_env


async def test_the_database_is_private_to_its_owner(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "c.db")
    await store.db.close()
    assert stat.S_IMODE((tmp_path / "c.db").stat().st_mode) == 0o600


async def test_a_damaged_file_is_refused_at_start_with_one_line(tmp_path: Path) -> None:
    database = tmp_path / "data" / "cables.db"
    database.parent.mkdir()
    database.write_bytes(b"SQLite format 3\x00" + b"\xde\xad" * 4000)
    with pytest.raises((DatabaseProblem, sqlite3.DatabaseError)):
        await open_store(database)
    process = await cables_bot("render", "forces", env=cli_env(tmp_path), cwd=tmp_path)
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 1
    assert len(stderr.decode().splitlines()) == 1
    assert stderr.decode().startswith(f"cables-bot: database {database}:")


async def test_a_locked_database_fails_cleanly_and_loses_nothing(
    bot: RunningBot, settings: Any
) -> None:
    db = bot.services.db
    await db.wait_for_locks(50)  # give up quickly in the test
    other = sqlite3.connect(
        settings.database_path, isolation_level=None, timeout=30, check_same_thread=False
    )
    # Another process takes the write lock: off the event loop, so that a write the bot is
    # making as it starts (its first poll, its counts) can finish and let it go.
    await asyncio.to_thread(other.execute, "BEGIN IMMEDIATE")
    try:
        before = (await bot.say("/forces")).params["text"]
        reply = await bot.send(factories.editor_message("/set border_length 1090"))
        assert "Sorry, something went wrong" in reply.params["text"]
        assert (await bot.say("/forces")).params["text"] == before
    finally:
        other.execute("ROLLBACK")
        other.close()
    reply = await bot.send(factories.editor_message("/set border_length 1090"))
    assert "Changed" in reply.params["text"]
    assert await db.fetch_value("SELECT COUNT(*) FROM changes") == 1
    assert await db.fetch_value("PRAGMA quick_check") == "ok"


async def test_check_reports_health(tmp_path: Path) -> None:
    database = tmp_path / "c.db"
    assert health_problems(database, None) == [f"no database at {database}"]
    store = await open_store(database)
    await store.db.close()
    assert health_problems(database, None) == []
    assert health_problems(database, 600) == ["the feed has never been polled"]
    with sqlite3.connect(database) as conn:
        conn.execute(
            "INSERT INTO feed_state (url, last_poll_at) VALUES ('x', '2020-01-01T00:00:00+00:00')"
        )
    [stale] = health_problems(database, 600)
    assert stale.startswith("last feed poll") and "limit 600 s" in stale


async def test_check_passes_for_a_running_bot(bot: RunningBot, tmp_path: Path) -> None:
    env = cli_env(tmp_path, DATABASE_PATH=str(bot.services.settings.database_path))
    process = await cables_bot("check", env=env, cwd=tmp_path)
    stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert (process.returncode, stdout, stderr) == (0, b"ok\n", b"")


async def test_backup_while_the_bot_runs(bot: RunningBot, tmp_path: Path) -> None:
    await bot.send(factories.editor_message("/set border_length 1085"))
    target = tmp_path / "backups" / "copy.db"
    env = cli_env(tmp_path, DATABASE_PATH=str(bot.services.settings.database_path))
    process = await cables_bot("backup", str(target), env=env, cwd=tmp_path)
    stdout, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0 and b"backed up" in stdout
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA quick_check").fetchone() == ("ok",)
        assert copy.execute(
            "SELECT value_low FROM facts WHERE key = 'border_length'"
        ).fetchone() == (1085.0,)
    # The copy is a database the bot can start from.
    restored = await open_store(target)
    assert (await restored.fact("border_length")).value.low == 1085  # type: ignore[union-attr]
    await restored.db.close()
    # The bot still answers while and after the copy is taken.
    assert (
        "border&#39;s length</b>: 1,085 <i>(per the editors"
        in ((await bot.say("/forces")).params["text"])
    )


async def test_a_database_newer_than_the_program_stops_the_bot_with_one_line(
    tmp_path: Path, telegram: FakeTelegram
) -> None:
    database = tmp_path / "data" / "cables.db"
    database.parent.mkdir()
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE future (x)")
        conn.execute("PRAGMA user_version = 7")
    process = await cables_bot("run", env=cli_env(tmp_path, telegram), cwd=tmp_path)
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    lines = stderr.decode().strip().splitlines()
    assert process.returncode == 1
    assert "Traceback" not in stderr.decode()
    assert lines[-1].endswith(
        "database schema version 7 is newer than this program knows: upgrade cables-bot"
    )


async def test_backup_refuses_the_live_database_and_odd_characters_are_paths(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "odd #1?x"
    database = folder / "cables.db"
    env = cli_env(tmp_path, DATABASE_PATH=str(database))
    store = await open_store(database)
    await store.db.close()
    for target in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        process = await cables_bot("backup", str(target), env=env, cwd=tmp_path)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 2, target
        assert "is the database itself" in stderr.decode()
    copy = tmp_path / "copy #2?.db"
    process = await cables_bot("backup", str(copy), env=env, cwd=tmp_path)
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT COUNT(*) FROM facts").fetchone()[0] > 0  # not empty
    process = await cables_bot("check", "--skip-poll", env=env, cwd=tmp_path)
    stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()
    assert stdout.decode().strip() == "ok"


async def test_a_bot_api_that_comes_up_late_is_waited_for(tmp_path: Path) -> None:
    # The Bot API is down when the bot starts (a container network not up yet): the bot
    # tries again with backoff instead of exiting, and serves once it can.
    probe = FakeTelegram()
    await probe.start()
    port = probe.port
    await probe.stop()  # nothing listens there now
    env = cli_env(tmp_path, probe)
    bot = await cables_bot("run", env=env, cwd=tmp_path)
    telegram = FakeTelegram()
    try:
        await asyncio.sleep(1.5)  # the outage the test simulates, not synchronisation
        assert bot.returncode is None  # still trying
        await telegram.start(port)
        await telegram.push_update(factories.message("/help"))
        await telegram.wait_for(lambda: telegram.sent(factories.READER_ID), timeout=60)
    finally:
        bot.terminate()
        await asyncio.wait_for(bot.communicate(), 30)
        await telegram.stop()


async def test_no_update_telegram_delivered_is_lost_to_a_hard_kill(
    tmp_path: Path, telegram: FakeTelegram
) -> None:
    # 200 /set from one editor: handled one after another. The first reply hangs, the bot
    # has fetched (so confirmed) all 200, and is killed. The next start handles every one
    # exactly once: the change that landed before the kill is not made twice.
    env = cli_env(tmp_path, telegram, ADMIN_IDS=str(factories.EDITOR_ID), LOG_LEVEL="INFO")
    database = Path(env["DATABASE_PATH"])
    bot = await cables_bot("run", env=env, cwd=tmp_path)
    release = telegram.hold_next_message(factories.EDITOR_ID)
    try:
        await telegram.wait_for(lambda: telegram.calls_of("setMyCommands"), 60)
        for n in range(1, 201):
            await telegram.push_update(
                factories.editor_message(f"/set russian_troops_in_belarus {n}")
            )
        await telegram.wait_for(lambda: factories.EDITOR_ID in telegram.holding, 60)
        await telegram.wait_for(lambda: telegram.pending_updates == 0, 60)
    finally:
        bot.kill()  # SIGKILL: nothing is flushed, nothing said
        await bot.wait()
    release.set()
    restarted = await cables_bot("run", env=env, cwd=tmp_path)
    try:
        await telegram.wait_for(lambda: len(telegram.sent(factories.EDITOR_ID)) >= 200, 120)
    finally:
        restarted.terminate()
        _, stderr = await asyncio.wait_for(restarted.communicate(), 30)
    assert "handling again 200 updates a stop left unhandled" in stderr.decode()
    with sqlite3.connect(database) as conn:
        changes = conn.execute(
            "SELECT update_id FROM changes WHERE key = 'russian_troops_in_belarus'"
        ).fetchall()
        value = conn.execute(
            "SELECT value_low FROM facts WHERE key = 'russian_troops_in_belarus'"
        ).fetchone()
    with sqlite3.connect(inbox_path(database)) as conn:
        inbox = conn.execute("SELECT COUNT(*) FROM inbox").fetchone()
    assert len(changes) == len(set(changes)) == 200  # each update once, none lost
    assert value == (200.0,) and inbox == (0,)


async def test_the_inbox_keeps_an_update_as_telegram_sent_it(bot: RunningBot) -> None:
    # Kept as the JSON Telegram sent (not PTB's re-serialisation of it), including a field a
    # newer Bot API added that this PTB does not know.
    chat_id = 7_777
    release = bot.telegram.hold_next_message(chat_id)
    update = factories.message("/forces", factories.private_chat(chat_id))
    update["message"]["added_in_a_later_api"] = {"nested": [1, "two"]}
    update_id = await bot.telegram.push_update(update)
    try:
        await bot.telegram.wait_for(lambda: chat_id in bot.telegram.holding)
        queue = bot.app.update_queue
        assert isinstance(queue, InboxQueue) and queue.inbox.store is not None
        await queue.inbox.store.flush()
        row = await queue.inbox.store.db.fetch_one("SELECT body FROM inbox WHERE update_id = ?",
                                                   (update_id,))  # fmt: skip
    finally:
        release.set()
    assert row is not None and row[0] == json.dumps(dict(update, update_id=update_id))
