"""Operators' commands on the database file: a health check and an online backup."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from bot.plumbing.inbox_store import inbox_path
from bot.push.schema import DELIVERY
from briefings.database import TABLE_TRACKED_VERSION
from briefings.schema import CONTENT

SCHEMAS = (CONTENT, DELIVERY)


class BackupRefused(ValueError):
    """The backup would overwrite the live database; the message says so."""


def read_only_uri(database: Path) -> str:
    """An SQLite URI that opens the file read-only, whatever characters its path holds (a
    "#" or "?" in a plain "file:" string would cut the path short)."""
    return database.absolute().as_uri() + "?mode=ro"


def health_problems(database: Path, max_poll_age: float | None) -> list[str]:
    """What is wrong, if anything: the file, its schema, its integrity, the feed poll's age."""
    if not database.is_file():
        return [f"no database at {database}"]
    try:
        conn = sqlite3.connect(read_only_uri(database), uri=True, timeout=5)
    except sqlite3.Error as exc:
        return [f"cannot open {database}: {exc}"]
    problems = []
    try:
        problems += _schema_problems(conn)
        checked = [row[0] for row in conn.execute("PRAGMA quick_check")]
        if checked != ["ok"]:
            problems.append(f"integrity check failed: {'; '.join(checked)[:200]}")
        if max_poll_age is not None and not problems:
            row = conn.execute("SELECT MAX(last_poll_at) FROM feed_state").fetchone()
            if row is None or row[0] is None:
                problems.append("the feed has never been polled")
            else:
                age = (datetime.now(UTC) - datetime.fromisoformat(row[0])).total_seconds()
                if age > max_poll_age:
                    problems.append(f"last feed poll {age:.0f} s ago (limit {max_poll_age:.0f} s)")
    except sqlite3.Error as exc:
        problems.append(f"database error: {exc}")
    finally:
        conn.close()
    return problems


def backup(database: Path, target: Path) -> tuple[Path, int]:
    """Copy the live database through SQLite's backup API; return where the copy went and
    the pages copied. A target that is a directory gets a file inside it, named for the
    database and the time (cables-20260105T143000Z.db).

    Safe while the bot runs: the copy is a consistent snapshot. It is written beside the
    target and renamed into place, and on any failure the half-written file is removed: a
    backup leaves a whole copy or nothing.
    """
    if not database.is_file():
        raise FileNotFoundError(f"no database at {database}")
    if target.is_dir():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = target / f"{database.stem}-{stamp}{database.suffix or '.db'}"
    live = database.resolve()
    inbox = inbox_path(live)
    files = (live, inbox)
    if target.resolve() in {
        f.with_name(f.name + end) for f in files for end in ("", "-wal", "-shm")
    }:
        raise BackupRefused(f"{target} is the database itself: back it up somewhere else")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        pages = _copy(database, partial)
        partial.replace(target)
    except BaseException:  # an interrupt too: never a .partial left behind
        partial.unlink(missing_ok=True)
        raise
    return target, pages


def _copy(database: Path, into: Path) -> int:
    """Copy the database into a new file only its owner can read; return the pages copied."""
    os.close(os.open(into, os.O_CREAT | os.O_WRONLY, 0o600))
    source = sqlite3.connect(read_only_uri(database), uri=True, timeout=30)
    try:
        copy = sqlite3.connect(into)
        try:
            source.backup(copy)
            pages = copy.execute("PRAGMA page_count").fetchone()[0]
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            copy.close()
    finally:
        source.close()
    return int(pages)


def _schema_problems(conn: sqlite3.Connection) -> list[str]:
    """Every schema at its latest migration, or what is behind (or ahead)."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version != TABLE_TRACKED_VERSION:
        return [f"schema version {version}: start the bot once to migrate it"]
    applied = dict(
        conn.execute("SELECT schema, MAX(number) FROM schema_migrations GROUP BY schema")
    )
    return [
        f"{schema.name} schema at migration {applied.get(schema.name, 0)}, "
        f"expected {schema.latest}"
        for schema in SCHEMAS
        if applied.get(schema.name, 0) != schema.latest
    ]
