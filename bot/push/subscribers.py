"""Who gets pushes: subscribed chats, whether they can be reached, and their daily setting."""

from __future__ import annotations

from dataclasses import dataclass

from briefings.database import Database, RowLike, utc_now


@dataclass(frozen=True, slots=True)
class Subscriber:
    chat_id: int
    chat_type: str
    title: str | None
    subscribed: bool
    blocked: bool
    daily_time: str | None  # HH:MM in daily_tz, or None when the daily briefing is off
    daily_tz: str | None
    subscribed_at: str
    updates: bool = False  # also what changed in the situations (bot/push/updates.py)

    @property
    def active(self) -> bool:
        return self.subscribed and not self.blocked


class SubscriberStore:
    """Subscriptions by chat id. A blocked chat stays subscribed and resumes when it returns."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, chat_id: int) -> Subscriber | None:
        row = await self.db.fetch_one("SELECT * FROM subscribers WHERE chat_id = ?", (chat_id,))
        return _subscriber(row) if row is not None else None

    async def subscribe(self, chat_id: int, chat_type: str, title: str | None) -> bool:
        """Subscribe a chat; return False if it already was."""
        now = utc_now()
        async with self.db.transaction():
            current = await self.get(chat_id)
            if current is not None and current.subscribed and not current.blocked:
                return False
            await self.db.execute(
                "INSERT INTO subscribers (chat_id, chat_type, title, subscribed_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (chat_id) DO UPDATE SET subscribed = 1,"
                " blocked = 0, chat_type = excluded.chat_type, title = excluded.title,"
                " updated_at = excluded.updated_at",
                (chat_id, chat_type, title, now, now),
            )
        return True

    async def unsubscribe(self, chat_id: int) -> bool:
        """Stop pushes (cables and daily) to a chat; return False if it was not subscribed."""
        async with self.db.transaction():
            cursor = await self.db.execute(
                "UPDATE subscribers SET subscribed = 0, daily_time = NULL, daily_next_at = NULL,"
                " updates = 0, updated_at = ?"
                " WHERE chat_id = ? AND subscribed = 1",
                (utc_now(), chat_id),
            )
            await self.db.execute(
                "UPDATE outbox SET status = 'cancelled', last_error = 'unsubscribed'"
                " WHERE chat_id = ? AND status = 'pending'",
                (chat_id,),
            )
        return cursor.rowcount == 1

    async def set_blocked(self, chat_id: int, blocked: bool) -> bool:
        """Record that a chat blocked the bot (or came back); return whether anything changed."""
        async with self.db.transaction():
            cursor = await self.db.execute(
                "UPDATE subscribers SET blocked = ?, updated_at = ? WHERE chat_id = ?"
                " AND blocked != ?",
                (int(blocked), utc_now(), chat_id, int(blocked)),
            )
        return cursor.rowcount == 1

    async def forget(self, user_id: int) -> bool:
        """Erase a user's private chat from the subscribers (its subscription, daily setting
        and time zone, what it last heard of each situation) and its pending pushes; return
        whether there was anything."""
        async with self.db.transaction():
            await self.db.execute(
                "DELETE FROM outbox WHERE chat_id = ? AND status = 'pending'", (user_id,)
            )
            await self.db.execute("DELETE FROM push_marks WHERE chat_id = ?", (user_id,))
            cursor = await self.db.execute("DELETE FROM subscribers WHERE chat_id = ?", (user_id,))
        return cursor.rowcount == 1

    async def count_active(self) -> int:
        row = await self.db.fetch_one(
            "SELECT COUNT(*) FROM subscribers WHERE subscribed = 1 AND blocked = 0"
        )
        return int(row[0]) if row else 0


def _subscriber(row: RowLike) -> Subscriber:
    return Subscriber(
        chat_id=row["chat_id"],
        chat_type=row["chat_type"],
        title=row["title"],
        subscribed=bool(row["subscribed"]),
        blocked=bool(row["blocked"]),
        daily_time=row["daily_time"],
        daily_tz=row["daily_tz"],
        subscribed_at=row["subscribed_at"],
        updates=bool(row["updates"]),
    )
