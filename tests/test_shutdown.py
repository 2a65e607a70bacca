"""Stopping cuts no write in two: PTB cancels the getUpdates under way when polling stops (and
does not wait for it), and that call begins with the inbox's write (bot/plumbing/inbox_store.py).
A start that fails half-way still lets the process exit."""

from __future__ import annotations

import asyncio
import io
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from telegram import Update

from bot.plumbing.inbox_store import INBOX, InboxStore
from bot.sandbox.tryout import TryOptions, try_bot
from bot.settings import Settings
from briefings.database import Database, Schema
from tests.auxil.fake_telegram import FakeTelegram
from tests.test_cli import cables_bot, cli_env

NUMBERS = Schema("numbers", ("CREATE TABLE numbers (n INTEGER NOT NULL)",))


@contextmanager
def write_lock_held(path: Path) -> Iterator[sqlite3.Connection]:
    """Another process's write lock on the file (a backup, an operator's shell), held until
    the caller rolls it back."""
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield other
    finally:
        other.close()


async def cancel_while_waiting_to_begin(path: Path, write: asyncio.Task[None],
                                        started: asyncio.Event) -> None:  # fmt: skip
    """Cancel write once its BEGIN waits for another process's lock; then let the lock go."""
    with write_lock_held(path) as other:
        # The task runs from set() to its BEGIN without yielding: once this wait returns, the
        # BEGIN is on the connection's thread, waiting for the lock.
        await started.wait()
        write.cancel()
        other.execute("ROLLBACK")
    with pytest.raises(asyncio.CancelledError):
        await write


async def test_a_transaction_cancelled_while_it_waits_to_begin_leaves_the_next_working(
    tmp_path: Path,
) -> None:
    path = tmp_path / "numbers.db"
    db = await Database.open(path, (NUMBERS,))
    started = asyncio.Event()

    async def insert(n: int) -> None:
        started.set()
        async with db.transaction():
            await db.execute("INSERT INTO numbers (n) VALUES (?)", (n,))

    try:
        await cancel_while_waiting_to_begin(path, asyncio.create_task(insert(1)), started)
        await insert(2)  # its BEGIN found the cancelled one's transaction still open
        assert [tuple(row) for row in await db.fetch_all("SELECT n FROM numbers")] == [(2,)]
    finally:
        await db.close()


async def test_an_inbox_write_whose_caller_is_cancelled_lands_and_the_next_one_too(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "cables.inbox.db"
    inbox = InboxStore(await Database.open(path, (INBOX,)))
    started = asyncio.Event()

    async def get_updates() -> None:  # what the polling does before each getUpdates
        started.set()
        await inbox.flush()

    try:
        inbox.keep(Update(1), {"update_id": 1})
        await cancel_while_waiting_to_begin(path, asyncio.create_task(get_updates()), started)
        inbox.keep(Update(2), {"update_id": 2})
        await inbox.flush()  # the last flush at stop
    finally:
        await inbox.close()
    assert "inbox not written" not in caplog.text
    with sqlite3.connect(path) as check:
        kept = check.execute("SELECT update_id FROM inbox ORDER BY update_id").fetchall()
    assert kept == [(1,), (2,)]  # the first was lost: a kill then would have lost it for good


async def test_a_hundred_try_exits_write_the_inbox_every_time(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """`cables-bot try` fed two commands and ended, a hundred times: it stops right as the
    polling writes the inbox (about one exit in two did, in-process, before the fix)."""
    caplog.set_level(logging.WARNING)
    for _ in range(100):
        lines = ["/help", "/help"]

        async def next_line(lines: list[str] = lines) -> str | None:
            return lines.pop(0) if lines else None

        out = io.StringIO()
        assert await try_bot(settings, TryOptions(), next_line, out) == 0
        assert out.getvalue().count("bot> ") == 2  # both answered
    problems = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert problems == []


async def test_a_start_that_fails_half_way_exits(tmp_path: Path, telegram: FakeTelegram) -> None:
    """The main database opens, then the inbox cannot (its path is a folder): the process
    ends with the reason, rather than hang on the main database's open connections."""
    (tmp_path / "data" / "cables.inbox.db").mkdir(parents=True)
    bot = await cables_bot("run", env=cli_env(tmp_path, telegram), cwd=tmp_path)
    try:
        _, stderr = await asyncio.wait_for(bot.communicate(), 30)
    finally:
        if bot.returncode is None:
            bot.kill()  # hung: the failure under test
    assert bot.returncode == 1
    assert "unable to open database file" in stderr.decode()
