"""One SQLite file, one Database object: a writer connection, readers, and the migrations.

Writes go through one connection, one transaction at a time (`transaction()`). Reads go to
reader connections that, in WAL mode, see the last committed state without waiting for a
write in progress; a read made inside a transaction goes to the writer, so it sees what the
transaction has written so far.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import pwd
import sqlite3
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

# A row as read (sqlite3.Row) or as kept in a history snapshot (a dict): read by column name.
RowLike = Mapping[str, Any] | sqlite3.Row

BUSY_TIMEOUT_MS = 5000
# Two readers let one slow read (a 100,000-row count) leave room for the rest (_reader).
READERS = 2
# PRAGMA user_version of a file whose migrations are recorded in schema_migrations. Programs
# from before that read the version alone, and refuse this one as newer than they know.
TABLE_TRACKED_VERSION = 1000
# What each user_version of those earlier programs had applied, in the sequences of today.
_LEGACY_VERSIONS: dict[int, dict[str, int]] = {
    1: {"content": 1},
    2: {"content": 2},
    3: {"content": 3, "delivery": 1},
}


def utc_now() -> str:
    """Now, as stored in every timestamp column: ISO 8601 in UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class DatabaseProblem(Exception):
    """The database cannot be used as it is; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class Schema:
    """One package's tables: its numbered migrations, append only (N is migrations[N-1])."""

    name: str
    migrations: tuple[str, ...]

    @property
    def latest(self) -> int:
        return len(self.migrations)


class Database:
    """Owns the file's connections. Open with `Database.open`, close with `close`."""

    def __init__(
        self, path: Path, writer: aiosqlite.Connection, readers: Sequence[aiosqlite.Connection]
    ) -> None:
        self.path = path
        self._writer = writer
        self._readers = tuple(readers)
        self._turns = itertools.cycle(self._readers)
        self._reads: dict[aiosqlite.Connection, int] = {}  # reads under way, by connection
        self._peeker: sqlite3.Connection | None = None  # see peek()
        # One write transaction at a time: coroutines share the writer, and two interleaved
        # BEGIN...COMMIT blocks on it would merge into one.
        self._write_lock = asyncio.Lock()
        # Set in the task (and the tasks it awaits) that has the transaction open.
        self._in_transaction: ContextVar[bool] = ContextVar(f"in_transaction_{id(self)}",
                                                            default=False)  # fmt: skip

    @classmethod
    async def open(cls, path: str | os.PathLike[str], schemas: Sequence[Schema]) -> Database:
        """Open the file at path (creating it and its folder), checked and migrated."""
        db_path = Path(path)
        _make_writable_place(db_path)
        _create_private(db_path)
        writer = await _connect(db_path)
        readers: list[aiosqlite.Connection] = []
        try:
            await writer.execute("PRAGMA journal_mode = WAL")
            # In WAL mode a commit need not wait for the disk: what is committed survives a
            # killed process (it is in the log, in the OS's cache), and a power cut loses at
            # most the last commits, never the file's consistency. Each update kept in the
            # inbox is a commit: fsync for each cost 2-5 ms of every reply.
            await writer.execute("PRAGMA synchronous = NORMAL")
            await _check_integrity(writer)
            db = cls(db_path, writer, readers)
            await db._migrate(schemas)
            for _ in range(READERS):
                reader = await _connect(db_path)
                readers.append(reader)
                await reader.execute("PRAGMA query_only = ON")  # a reader never writes
            db._readers = tuple(readers)
            db._turns = itertools.cycle(db._readers)
            db._peeker = _connect_peeker(db_path)
        except BaseException:
            for conn in (writer, *readers):
                await conn.close()
            raise
        return db

    async def close(self) -> None:
        if self._peeker is not None:
            self._peeker.close()
        for conn in (*self._readers, self._writer):
            await conn.close()

    async def wait_for_locks(self, milliseconds: int) -> None:
        """How long a statement waits for another process's lock before it fails."""
        for conn in (self._writer, *self._readers):
            await conn.execute(f"PRAGMA busy_timeout = {int(milliseconds)}")

    # ------------------------------------------------------------------ writing
    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Run the block as one write transaction: all of it lands, or none of it.

        Inside it, `execute` writes and `fetch_*` read what it has written. A transaction
        opened inside another (in the same task) joins it.
        """
        if self._in_transaction.get():
            yield
            return
        async with self._write_lock:
            try:
                await self._writer.execute("BEGIN IMMEDIATE")
            except asyncio.CancelledError:
                # The BEGIN was handed to the connection's thread before the await and runs
                # there all the same. Without a ROLLBACK queued behind it, the lock would go
                # to the next writer with the connection still inside this transaction, and
                # its BEGIN would fail ("cannot start a transaction within a transaction").
                await self._roll_back_quietly()
                raise
            token = self._in_transaction.set(True)
            try:
                yield
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            else:
                await self._writer.execute("COMMIT")
            finally:
                self._in_transaction.reset(token)

    async def _roll_back_quietly(self) -> None:
        # The connection's thread runs statements in the order they were queued, and this one
        # is queued before the await: even a second cancellation leaves it behind the BEGIN.
        # A BEGIN that failed (another process's lock) left nothing to roll back.
        with contextlib.suppress(sqlite3.Error):
            await self._writer.execute("ROLLBACK")

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Cursor:
        """Run one write statement inside the caller's transaction."""
        self._require_transaction()
        return await self._writer.execute(sql, tuple(params))

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> aiosqlite.Cursor:
        """Run one write statement for each row, inside the caller's transaction."""
        self._require_transaction()
        return await self._writer.executemany(sql, (tuple(row) for row in rows))

    def _require_transaction(self) -> None:
        if not self._in_transaction.get():
            raise RuntimeError("a write outside Database.transaction()")

    # ------------------------------------------------------------------ reading
    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        """The rows of a query: committed ones, or the caller's transaction's own."""
        return await self._read(sql, params, None)

    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        """The first row fetch_all would give, or None."""
        rows = await self._read(sql, params, 1)
        return rows[0] if rows else None

    async def _read(
        self, sql: str, params: Iterable[Any], limit: int | None
    ) -> list[aiosqlite.Row]:
        conn = self._reader()
        self._reads[conn] = self._reads.get(conn, 0) + 1
        try:
            async with conn.execute(sql, tuple(params)) as cursor:
                return list(
                    await (cursor.fetchall() if limit is None else cursor.fetchmany(limit))
                )
        finally:
            self._reads[conn] -= 1

    async def fetch_value(self, sql: str, params: Iterable[Any] = ()) -> Any:
        """The first column of the first row (None when there is no row)."""
        row = await self.fetch_one(sql, params)
        return row[0] if row is not None else None

    async def peek(self, sql: str, params: Iterable[Any] = ()) -> Any:
        """fetch_value for a tiny read on the hot path (a row of a one-row table, one row by
        its key, a table's newest row), answered on the event loop's own thread: 3 µs against
        120 µs through a reader's thread, and a reader in WAL mode waits for no writer. Where
        it would wait all the same (another process recovering the log) it asks a reader;
        inside a transaction, the writer."""
        if self._peeker is not None and not self._in_transaction.get():
            try:
                # All of them: a statement not run to its end would keep its read open.
                rows = self._peeker.execute(sql, tuple(params)).fetchall()
            except sqlite3.OperationalError:  # busy: wait off the loop, as any read does
                pass
            else:
                return rows[0][0] if rows else None
        return await self.fetch_value(sql, params)

    @property
    def in_transaction(self) -> bool:
        """Whether the caller's task has a transaction open (what it reads may roll back)."""
        return self._in_transaction.get()

    def _reader(self) -> aiosqlite.Connection:
        """The reader with the fewest reads under way (the next in turn among equals): a
        reader busy with a slow read (a count over a cable's 100,000 outbox rows, the push
        worker's due rows) is passed over, not queued behind, by a reader's quick one."""
        if self._in_transaction.get() or not self._readers:
            return self._writer
        first = next(self._turns)
        return min(self._readers, key=lambda conn: (self._reads.get(conn, 0), conn is not first))

    # ------------------------------------------------------------------ migrations
    async def applied(self) -> dict[str, int]:
        """The latest migration applied, by schema name."""
        rows = await self.fetch_all(
            "SELECT schema, MAX(number) FROM schema_migrations GROUP BY schema"
        )
        return {row[0]: int(row[1]) for row in rows}

    async def _migrate(self, schemas: Sequence[Schema]) -> None:
        await self._adopt_legacy_version()
        applied = await self.applied()
        for schema in schemas:
            have = applied.get(schema.name, 0)
            if have > schema.latest:
                raise DatabaseProblem(
                    f"the database's {schema.name} schema is at migration {have}, newer than "
                    f"this program knows ({schema.latest}): upgrade cables-bot"
                )
            for number in range(have + 1, schema.latest + 1):
                async with self.transaction():
                    for statement in _statements(schema.migrations[number - 1]):
                        await self.execute(statement)
                    await self._record(schema.name, number)

    async def _adopt_legacy_version(self) -> None:
        """Bring a file from before per-schema migrations (or a new one) under the table."""
        version = int(await self.fetch_value("PRAGMA user_version") or 0)
        if version == TABLE_TRACKED_VERSION:
            return
        if version != 0 and version not in _LEGACY_VERSIONS:
            raise DatabaseProblem(
                f"database schema version {version} is newer than this program knows: "
                "upgrade cables-bot"
            )
        async with self.transaction():
            await self.execute(
                "CREATE TABLE schema_migrations (schema TEXT NOT NULL, number INTEGER NOT NULL,"
                " applied_at TEXT NOT NULL, PRIMARY KEY (schema, number))"
            )
            for name, latest in _LEGACY_VERSIONS.get(version, {}).items():
                for number in range(1, latest + 1):
                    await self._record(name, number)
            await self.execute(f"PRAGMA user_version = {TABLE_TRACKED_VERSION}")

    async def _record(self, schema: str, number: int) -> None:
        await self.execute(
            "INSERT INTO schema_migrations (schema, number, applied_at) VALUES (?, ?, ?)",
            (schema, number, utc_now()),
        )


async def _connect(path: Path) -> aiosqlite.Connection:
    # isolation_level=None: we open transactions ourselves with BEGIN IMMEDIATE, so a write
    # never starts as a read and fails half-way on a lock upgrade.
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        conn.row_factory = aiosqlite.Row
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        await conn.close()
        raise
    return conn


def _connect_peeker(path: Path) -> sqlite3.Connection:
    # timeout=0: a read that would wait for a lock fails at once, and peek() waits off the loop.
    conn = sqlite3.connect(path, isolation_level=None, timeout=0, check_same_thread=False)
    conn.execute("PRAGMA query_only = ON")
    return conn


def _make_writable_place(path: Path) -> None:
    """Create the file's folder, or refuse in one line naming the path and the user: SQLite's
    own words for a folder or file the process may not write ("Permission denied", "unable to
    open database file") name neither (a bind mount owned by root, say)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except PermissionError as exc:
        raise DatabaseProblem(_not_writable(Path(exc.filename or path.parent))) from None
    # The folder too: SQLite writes its -wal and -shm files beside the database.
    for place, access in ((path.parent, os.W_OK | os.X_OK), (path, os.R_OK | os.W_OK)):
        if place.exists() and not os.access(place, access):
            raise DatabaseProblem(_not_writable(place))


def _not_writable(place: Path) -> str:
    uid = os.getuid()
    try:
        user = f"uid {uid} ({pwd.getpwuid(uid).pw_name})"
    except KeyError:  # a uid with no name here (a container run with --user)
        user = f"uid {uid}"
    return f"{place} is not writable by {user}, the user the bot runs as: chown {uid} {place}"


def _create_private(path: Path) -> None:
    """Create the file readable and writable by its owner only (SQLite's -wal and -shm
    files take the same mode)."""
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


async def _check_integrity(conn: aiosqlite.Connection) -> None:
    """Refuse to start on a damaged file rather than make it worse."""
    async with conn.execute("PRAGMA quick_check") as cursor:
        rows = [row[0] for row in await cursor.fetchall()]
    if rows != ["ok"]:
        raise DatabaseProblem(f"the database failed its integrity check: {'; '.join(rows)[:300]}")


def _statements(script: str) -> list[str]:
    # executescript() would COMMIT our open transaction first; run statement by statement,
    # each ending at the semicolon that completes it (not one inside a trigger or a string).
    found, pending = [], ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \t\n;"):
                found.append(pending.strip())
            pending = ""
    if pending.strip(" \t\n;"):
        found.append(pending.strip())
    return found
