"""Who gets pushes: subscribed chats, whether they can be reached, and their daily time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, time

import aiosqlite

from briefings.db import fetch_all, fetch_one, transaction, utc_now

DEFAULT_DAILY_TIME = time(8, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Subscriber:
    chat_id: int
    chat_type: str
    title: str | None
    subscribed: bool
    blocked: bool
    daily_time: str | None
    subscribed_at: str

    @property
    def active(self) -> bool:
        return self.subscribed and not self.blocked


class SubscriberStore:
    """Subscriptions by chat id. A blocked chat stays subscribed and resumes when it returns."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def get(self, chat_id: int) -> Subscriber | None:
        row = await fetch_one(self.conn, "SELECT * FROM subscribers WHERE chat_id = ?", (chat_id,))
        return _subscriber(row) if row is not None else None

    async def subscribe(self, chat_id: int, chat_type: str, title: str | None) -> bool:
        """Subscribe a chat; return False if it already was."""
        now = utc_now()
        async with transaction(self.conn):
            current = await self.get(chat_id)
            if current is not None and current.subscribed and not current.blocked:
                return False
            await self.conn.execute(
                "INSERT INTO subscribers (chat_id, chat_type, title, subscribed_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (chat_id) DO UPDATE SET subscribed = 1,"
                " blocked = 0, chat_type = excluded.chat_type, title = excluded.title,"
                " updated_at = excluded.updated_at",
                (chat_id, chat_type, title, now, now),
            )
        return True

    async def unsubscribe(self, chat_id: int) -> bool:
        """Stop pushes (cables and daily) to a chat; return False if it was not subscribed."""
        async with transaction(self.conn):
            cursor = await self.conn.execute(
                "UPDATE subscribers SET subscribed = 0, daily_time = NULL, updated_at = ?"
                " WHERE chat_id = ? AND subscribed = 1",
                (utc_now(), chat_id),
            )
            await self.conn.execute(
                "UPDATE outbox SET status = 'cancelled', last_error = 'unsubscribed'"
                " WHERE chat_id = ? AND status = 'pending'",
                (chat_id,),
            )
        return cursor.rowcount == 1

    async def set_blocked(self, chat_id: int, blocked: bool) -> bool:
        """Record that a chat blocked the bot (or came back); return whether anything changed."""
        async with transaction(self.conn):
            cursor = await self.conn.execute(
                "UPDATE subscribers SET blocked = ?, updated_at = ? WHERE chat_id = ?"
                " AND blocked != ?",
                (int(blocked), utc_now(), chat_id, int(blocked)),
            )
        return cursor.rowcount == 1

    async def set_daily(self, chat_id: int, daily_time: str | None) -> None:
        async with transaction(self.conn):
            await self.conn.execute(
                "UPDATE subscribers SET daily_time = ?, updated_at = ? WHERE chat_id = ?",
                (daily_time, utc_now(), chat_id),
            )

    async def with_daily_time(self) -> list[Subscriber]:
        rows = await fetch_all(
            self.conn, "SELECT * FROM subscribers WHERE subscribed = 1 AND daily_time IS NOT NULL"
        )
        return [_subscriber(row) for row in rows]

    async def count_active(self) -> int:
        row = await fetch_one(
            self.conn, "SELECT COUNT(*) FROM subscribers WHERE subscribed = 1 AND blocked = 0"
        )
        return int(row[0]) if row else 0


def _subscriber(row: aiosqlite.Row) -> Subscriber:
    return Subscriber(
        chat_id=row["chat_id"],
        chat_type=row["chat_type"],
        title=row["title"],
        subscribed=bool(row["subscribed"]),
        blocked=bool(row["blocked"]),
        daily_time=row["daily_time"],
        subscribed_at=row["subscribed_at"],
    )
