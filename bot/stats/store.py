"""Counting, in memory and written in batches (a reply never waits for a write), and the
figures /stats reads back."""

from __future__ import annotations

import logging
import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from briefings.database import Database

log = logging.getLogger(__name__)

RETENTION_DAYS = 35  # the users seen a day are kept this long: /stats looks back 30 days


def today() -> str:
    return datetime.now(UTC).date().isoformat()


@dataclass(frozen=True, slots=True)
class DayFigures:
    day: str
    readers: int
    joined: int
    left: int
    blocked: int
    daily_sent: int


@dataclass(frozen=True, slots=True)
class CableFigures:
    id: str
    title: str
    delivered: int
    blocked: int
    failed: int
    pending: int
    minutes_to_deliver: float | None
    clicks: int


@dataclass(frozen=True, slots=True)
class Figures:
    days: list[DayFigures]  # oldest first, 30 of them
    readers_today: int
    readers_week: int
    sections: list[tuple[str, int]]  # reads over 30 days, most read first
    subscribers_now: int
    cables: list[CableFigures]
    clicks: list[tuple[str, int]]  # by surface over 30 days


class Stats:
    """Counts kept in memory and written by flush() (a job, and at stop)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._seen: set[tuple[str, int]] = set()
        self._counts: Counter[tuple[str, str]] = Counter()

    def read(self, user_id: int | None, section: str) -> None:
        """A reader was shown a section."""
        day = today()
        if user_id is not None:
            self._seen.add((day, user_id))
        self._counts[(day, f"read:{section}")] += 1

    def count(self, name: str, by: int = 1) -> None:
        """Something happened today: joined, left, click:<campaign>."""
        self._counts[(today(), name)] += by

    async def flush(self) -> None:
        seen, self._seen = self._seen, set()
        counts, self._counts = self._counts, Counter()
        if not seen and not counts:
            return
        try:
            async with self.db.transaction():
                await self.db.executemany(
                    "INSERT OR IGNORE INTO readers_seen (day, user_id) VALUES (?, ?)", seen
                )
                await self.db.executemany(
                    "INSERT INTO day_counts (day, name, count) VALUES (?, ?, ?)"
                    " ON CONFLICT (day, name) DO UPDATE SET count = count + excluded.count",
                    ((day, name, n) for (day, name), n in counts.items()),
                )
                cutoff = (date.fromisoformat(today()) - timedelta(days=RETENTION_DAYS)).isoformat()
                await self.db.execute("DELETE FROM readers_seen WHERE day < ?", (cutoff,))
        except sqlite3.Error as exc:
            log.warning("stats not written (%d counts): %s", len(counts), exc)

    async def forget(self, user_id: int) -> int:
        """Erase the days a user was seen, those still in memory too (written only every
        minute or so); return how many days that was."""
        held = {day for day, user in self._seen if user == user_id}
        self._seen = {(day, user) for day, user in self._seen if user != user_id}
        async with self.db.transaction():
            rows = await self.db.fetch_all(
                "SELECT day FROM readers_seen WHERE user_id = ?", (user_id,)
            )
            await self.db.execute("DELETE FROM readers_seen WHERE user_id = ?", (user_id,))
        return len(held | {str(row[0]) for row in rows})

    async def figures(self, days: int = 30) -> Figures:
        await self.flush()
        end = date.fromisoformat(today())
        span = [(end - timedelta(days=n)).isoformat() for n in range(days - 1, -1, -1)]
        first = span[0]
        readers = await self._by_day(
            "SELECT day, COUNT(*) FROM readers_seen WHERE day >= ? GROUP BY day", first
        )
        named: dict[tuple[str, str], int] = {
            (row[0], row[1]): row[2]
            for row in await self.db.fetch_all(
                "SELECT day, name, count FROM day_counts WHERE day >= ?", (first,)
            )
        }
        daily = await self._by_day(
            "SELECT substr(sent_at, 1, 10), COUNT(*) FROM outbox WHERE kind = 'daily'"
            " AND status = 'sent' AND sent_at >= ? GROUP BY 1",
            first,
        )
        # A chat blocking the bot is seen by the push worker: its row says when.
        blocked = await self._by_day(
            "SELECT substr(updated_at, 1, 10), COUNT(*) FROM subscribers WHERE blocked = 1"
            " AND updated_at >= ? GROUP BY 1",
            first,
        )
        rows = [
            DayFigures(
                day,
                readers.get(day, 0),
                named.get((day, "joined"), 0),
                named.get((day, "left"), 0),
                blocked.get(day, 0),
                daily.get(day, 0),
            )
            for day in span
        ]
        week_start = span[-7]
        readers_week = await self.db.fetch_value(
            "SELECT COUNT(DISTINCT user_id) FROM readers_seen WHERE day >= ?", (week_start,)
        )
        sections: Counter[str] = Counter()
        clicks: Counter[str] = Counter()
        for (_, name), n in named.items():
            if name.startswith("read:"):
                sections[name.removeprefix("read:")] += n
            elif name.startswith("click:"):
                clicks[name.removeprefix("click:")] += n
        subscribers_now = await self.db.fetch_value(
            "SELECT COUNT(*) FROM subscribers WHERE subscribed = 1 AND blocked = 0"
        )
        return Figures(
            rows, rows[-1].readers, int(readers_week or 0), sections.most_common(),
            int(subscribers_now or 0), await self._cables(clicks), clicks.most_common(),
        )  # fmt: skip

    async def _by_day(self, sql: str, first: str) -> dict[str, int]:
        return {str(row[0]): int(row[1]) for row in await self.db.fetch_all(sql, (first,))}

    async def _cables(self, clicks: Counter[str], limit: int = 5) -> list[CableFigures]:
        rows = await self.db.fetch_all(
            "SELECT c.id, c.title, c.pushed_at,"
            " SUM(o.status = 'sent'), SUM(o.status = 'blocked'), SUM(o.status = 'failed'),"
            " SUM(o.status = 'pending'), MAX(o.sent_at)"
            " FROM (SELECT id, title, pushed_at FROM cables WHERE pushed_at IS NOT NULL"
            " ORDER BY pushed_at DESC LIMIT ?) c"
            " LEFT JOIN outbox o ON o.cable_id = c.id AND o.kind = 'cable'"
            " GROUP BY c.id ORDER BY c.pushed_at DESC",
            (limit,),
        )
        figures = []
        for row in rows:
            minutes = None
            if row[2] and row[7] and not row[6]:  # every push settled: the time it took
                pushed = datetime.fromisoformat(row[2])
                minutes = (datetime.fromisoformat(row[7]) - pushed).total_seconds() / 60
            figures.append(CableFigures(
                row[0], row[1], int(row[3] or 0), int(row[4] or 0), int(row[5] or 0),
                int(row[6] or 0), minutes, clicks.get(row[0], 0),
            ))  # fmt: skip
        return figures
