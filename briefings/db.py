"""Open the one SQLite file, configured and migrated to the latest schema."""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from briefings.migrations import LATEST_VERSION, MIGRATIONS

BUSY_TIMEOUT_MS = 5000

# One write transaction at a time per connection: coroutines share a connection, and two
# interleaved BEGIN...COMMIT blocks on it would merge into one.
_write_locks: weakref.WeakKeyDictionary[aiosqlite.Connection, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)
# The connections whose write transaction the running task (or its caller) has open.
_writing_on: ContextVar[frozenset[int]] = ContextVar("writing_on", default=frozenset())


def utc_now() -> str:
    """Now, as stored in every timestamp column: ISO 8601 in UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class DatabaseProblem(Exception):
    """The database cannot be used as it is; the message says why, in one line."""


async def connect(path: str | os.PathLike[str]) -> aiosqlite.Connection:
    """Open the database at path (creating it and its folder), checked, configured, migrated."""
    db_path = Path(path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    create_private(db_path)
    # isolation_level=None: we open transactions ourselves with BEGIN IMMEDIATE, so a
    # write never starts as a read and fails half-way on a lock upgrade.
    conn = await aiosqlite.connect(db_path, isolation_level=None)
    try:
        conn.row_factory = aiosqlite.Row
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        await check_integrity(conn)
        await migrate(conn)
    except BaseException:
        await conn.close()
        raise
    return conn


def create_private(path: Path) -> None:
    """Create the file readable and writable by its owner only (SQLite's -wal and -shm
    files take the same mode)."""
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


async def check_integrity(conn: aiosqlite.Connection) -> None:
    """Refuse to start on a damaged file rather than make it worse."""
    async with conn.execute("PRAGMA quick_check") as cursor:
        rows = [row[0] for row in await cursor.fetchall()]
    if rows != ["ok"]:
        raise DatabaseProblem(f"the database failed its integrity check: {'; '.join(rows)[:300]}")


async def schema_version(conn: aiosqlite.Connection) -> int:
    """Return the schema version recorded in the file."""
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def migrate(conn: aiosqlite.Connection) -> int:
    """Apply every migration newer than the file's version, each in its own transaction."""
    version = await schema_version(conn)
    if version > LATEST_VERSION:
        raise RuntimeError(
            f"database schema version {version} is newer than this program knows "
            f"({LATEST_VERSION}); upgrade cables-bot"
        )
    for number in range(version + 1, LATEST_VERSION + 1):
        async with transaction(conn):
            for statement in _statements(MIGRATIONS[number - 1]):
                await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version = {number}")
    return LATEST_VERSION


def _statements(script: str) -> list[str]:
    # executescript() would COMMIT our open transaction first; run statement by statement.
    # Migrations therefore keep semicolons out of string literals and triggers.
    return [s.strip() for s in script.split(";") if s.strip()]


@asynccontextmanager
async def transaction(conn: aiosqlite.Connection) -> AsyncIterator[aiosqlite.Connection]:
    """Run the block as one write transaction: all of it lands, or none of it."""
    async with _write_lock(conn):
        await conn.execute("BEGIN IMMEDIATE")
        writing = _writing_on.set(_writing_on.get() | {id(conn)})
        try:
            yield conn
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
        else:
            await conn.execute("COMMIT")
        finally:
            _writing_on.reset(writing)


async def fetch_all(
    conn: aiosqlite.Connection, sql: str, params: Iterable[Any] = ()
) -> list[aiosqlite.Row]:
    """Read rows that are committed (or written by the caller's own transaction).

    Coroutines share the connection, and on one connection a read sees whatever an open
    transaction has written so far, even what it is about to roll back. So a read outside a
    transaction waits for the one in progress to end.
    """
    async with _committed(conn), conn.execute(sql, tuple(params)) as cursor:
        return list(await cursor.fetchall())


async def fetch_one(
    conn: aiosqlite.Connection, sql: str, params: Iterable[Any] = ()
) -> aiosqlite.Row | None:
    """The first row fetch_all would give, or None."""
    async with _committed(conn), conn.execute(sql, tuple(params)) as cursor:
        return await cursor.fetchone()


@asynccontextmanager
async def _committed(conn: aiosqlite.Connection) -> AsyncIterator[None]:
    if id(conn) in _writing_on.get():
        yield  # inside our own transaction: read what it has written
        return
    async with _write_lock(conn):
        yield


def _write_lock(conn: aiosqlite.Connection) -> asyncio.Lock:
    return _write_locks.setdefault(conn, asyncio.Lock())
