"""The tables behind /stats: counts per day, and which users were seen each day.

Only what /stats needs is kept: no message texts. Each day, the users seen (to count
distinct readers a day and a week; erased by /forget, dropped after RETENTION_DAYS), and
named counts a day (a section read, a subscriber joined, left or blocked, a click on a link
of a surface or cable). Codes of counted links map to the tagged URL they redirect to.
"""

from __future__ import annotations

from briefings.database import Schema

MIGRATIONS: tuple[str, ...] = (
    # 1: readers seen a day, counts a day, counted links
    """
    CREATE TABLE readers_seen (
        day TEXT NOT NULL,
        user_id INTEGER NOT NULL,
        PRIMARY KEY (day, user_id)
    ) WITHOUT ROWID;
    CREATE INDEX readers_seen_by_user ON readers_seen (user_id);
    CREATE TABLE day_counts (
        day TEXT NOT NULL,
        name TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (day, name)
    ) WITHOUT ROWID;
    CREATE TABLE links (
        code TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        campaign TEXT NOT NULL
    )
    """,
    # 2: the content version each reader last read, per situation ("Since you last looked",
    # bot/stats/last_seen.py): kept as readers_seen is, dropped after RETENTION_DAYS
    """
    CREATE TABLE reader_versions (
        user_id INTEGER NOT NULL,
        situation_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        day TEXT NOT NULL,
        PRIMARY KEY (user_id, situation_id)
    ) WITHOUT ROWID;
    CREATE INDEX reader_versions_by_day ON reader_versions (day)
    """,
)

STATS = Schema("stats", MIGRATIONS)
