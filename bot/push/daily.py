"""Daily briefings: each chat's time of day in its own time zone, queued in the outbox when due.

The subscribers table holds the one truth: each chat's time, zone and the next moment its
briefing is due. One periodic job queues every due row into the outbox in one statement,
once per chat and (the chat's own) day, and moves each on to its next day. A bot that was
down at the time queues the missed briefing once when it is back, marked late.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as time_of_day
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from briefings.database import Database, utc_now

DEFAULT_TIME = time_of_day(8, 0)
DEFAULT_ZONE = "UTC"
# A briefing queued this long after its time went out because the bot was down: say so.
LATE_AFTER_SECONDS = 10 * 60
# Folders of the zone list that are no area of the world.
_NOT_AREAS = frozenset({"Etc", "posix", "right", "SystemV"})
_TIME = re.compile(r"([01]?\d|2[0-3])[:.h]?([0-5]\d)")


@dataclass(frozen=True, slots=True)
class DailySetting:
    """When a chat wants its briefing: a time of day in an IANA time zone."""

    at: time_of_day
    zone: str

    @property
    def hhmm(self) -> str:
        return self.at.strftime("%H:%M")


def parse_time_of_day(text: str) -> time_of_day | None:
    """07:30, 7:30, 0730, 07.30 or 07h30; None if it is not a time of day."""
    match = _TIME.fullmatch(text.strip())
    return time_of_day(int(match[1]), int(match[2])) if match else None


def find_zone(name: str) -> str | None:
    """The IANA name of a time zone as typed in any case (europe/kyiv), or None."""
    return _zones().get(name.strip().lower())


@cache
def _zones() -> dict[str, str]:
    # Looked up in this list only, never as a path: a name is not a file to open. Only
    # Area/Location names are zones a reader means, and UTC: the list also holds files that
    # are no zone of their own ("localtime", the machine's; "Factory"; "posixrules"), old
    # abbreviations ("EST", "Japan") and Etc's fixed offsets, whose signs read backwards.
    return {
        zone.lower(): zone
        for zone in available_timezones()
        if "/" in zone and zone.partition("/")[0] not in _NOT_AREAS
    } | {"utc": "UTC"}


def next_due(setting: DailySetting, after: float) -> tuple[float, str]:
    """The first moment strictly after `after` (epoch seconds) at which the setting falls due,
    and the chat's own date then (the day its briefing is for)."""
    zone = ZoneInfo(setting.zone)
    local = datetime.fromtimestamp(after, zone)
    due = datetime.combine(local.date(), setting.at, tzinfo=zone)
    if due.timestamp() <= after:
        due = datetime.combine(local.date() + timedelta(days=1), setting.at, tzinfo=zone)
    return due.timestamp(), due.date().isoformat()


class DailySchedule:
    """Reads and writes chats' daily settings, and queues the briefings that are due."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    async def setting(self, chat_id: int) -> DailySetting | None:
        """The chat's daily setting, or None when its daily briefing is off."""
        row = await self.db.fetch_one(
            "SELECT daily_time, daily_tz FROM subscribers WHERE chat_id = ?", (chat_id,)
        )
        if row is None or row["daily_time"] is None:
            return None
        at = parse_time_of_day(row["daily_time"]) or DEFAULT_TIME
        return DailySetting(at, row["daily_tz"] or DEFAULT_ZONE)

    async def set(self, chat_id: int, setting: DailySetting) -> None:
        """Turn the chat's daily briefing on at this time (the chat must be a subscriber)."""
        next_at, next_day = next_due(setting, self.clock())
        async with self.db.transaction():
            await self.db.execute(
                "UPDATE subscribers SET daily_time = ?, daily_tz = ?, daily_next_at = ?,"
                " daily_next_day = ?, updated_at = ? WHERE chat_id = ?",
                (setting.hhmm, setting.zone, next_at, next_day, utc_now(), chat_id),
            )

    async def clear(self, chat_id: int) -> None:
        """Turn the chat's daily briefing off (its zone is remembered)."""
        async with self.db.transaction():
            await self.db.execute(
                "UPDATE subscribers SET daily_time = NULL, daily_next_at = NULL, updated_at = ?"
                " WHERE chat_id = ?",
                (utc_now(), chat_id),
            )

    async def queue_due(self, situation_id: str | None = None) -> int:
        """Queue every briefing due by now in the outbox; return how many were queued.

        With the situation the briefings are of, each row names the span of its content
        versions since the chat's last daily (push_marks), to lead with what changed."""
        now = self.clock()
        async with self.db.transaction():
            until = await self.db.fetch_value(
                "SELECT COALESCE(MAX(id), 0) FROM changes WHERE situation_id = ?",
                (situation_id,),
            )
            # Once per chat and day: the dedupe key holds the chat's own date for that time.
            queued = await self.db.execute(
                "INSERT INTO outbox (dedupe_key, kind, chat_id, created_at, late, situation_id,"
                " since_version, until_version, since_day)"
                " SELECT 'daily:' || s.daily_next_day || ':' || s.chat_id, 'daily', s.chat_id,"
                " ?, ? - s.daily_next_at > ?, ?, m.version, ?, m.day FROM subscribers s"
                " LEFT JOIN push_marks m ON m.chat_id = s.chat_id AND m.kind = 'daily'"
                " AND m.situation_id = ?"
                " WHERE s.daily_next_at <= ? AND s.subscribed = 1 AND s.blocked = 0"
                " ON CONFLICT (dedupe_key) DO NOTHING",
                (utc_now(), now, LATE_AFTER_SECONDS, situation_id,
                 until if situation_id else None, situation_id, now),
            )  # fmt: skip
            if situation_id is not None:
                # The next daily tells of what changes after this one.
                await self.db.execute(
                    "INSERT INTO push_marks (chat_id, situation_id, kind, version, day)"
                    " SELECT chat_id, ?, 'daily', ?, daily_next_day FROM subscribers"
                    " WHERE daily_next_at <= ? AND subscribed = 1 AND blocked = 0"
                    " ON CONFLICT (chat_id, situation_id, kind) DO UPDATE"
                    " SET version = excluded.version, day = excluded.day",
                    (situation_id, until, now),
                )
            # Every due row moves on to its next day (a chat that blocked the bot too, so it
            # gets no stale briefing when it returns); settings kept from before this
            # schedule existed get their first due time.
            rows = await self.db.fetch_all(
                "SELECT chat_id, daily_time, daily_tz FROM subscribers"
                " WHERE daily_time IS NOT NULL AND (daily_next_at <= ? OR daily_next_at IS NULL)",
                (now,),
            )
            moves = []
            for row in rows:
                at = parse_time_of_day(row["daily_time"]) or DEFAULT_TIME
                next_at, next_day = next_due(
                    DailySetting(at, row["daily_tz"] or DEFAULT_ZONE), now
                )
                moves.append((next_at, next_day, row["chat_id"]))
            await self.db.executemany(
                "UPDATE subscribers SET daily_next_at = ?, daily_next_day = ? WHERE chat_id = ?",
                moves,
            )
        return queued.rowcount
