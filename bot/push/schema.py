"""The delivery's tables (subscribers and the push outbox) as numbered migrations.

Applied after the content's (briefings/schema.py): the outbox refers to cables.
"""

from __future__ import annotations

from briefings.database import Schema

# Append only: never edit a migration that has shipped. Migration N (1-based) is MIGRATIONS[N-1].
MIGRATIONS: tuple[str, ...] = (
    # 1: subscribers and the push outbox
    """
    CREATE TABLE subscribers (
        chat_id INTEGER PRIMARY KEY,
        chat_type TEXT NOT NULL,
        title TEXT,
        subscribed INTEGER NOT NULL DEFAULT 1,
        blocked INTEGER NOT NULL DEFAULT 0,
        daily_time TEXT,
        subscribed_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX subscribers_active ON subscribers (subscribed, blocked);
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        dedupe_key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('cable', 'daily')),
        cable_id TEXT REFERENCES cables(id),
        chat_id INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'sent', 'failed', 'blocked', 'cancelled')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL DEFAULT 0,
        last_error TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT
    );
    CREATE INDEX outbox_due ON outbox (status, next_attempt_at, id);
    CREATE INDEX outbox_by_cable ON outbox (cable_id, status)
    """,
    # 2: daily briefings through the outbox: each chat's time zone and the next time its
    # briefing is due (UTC epoch seconds, with the chat's own date for that time), and
    # whether a queued one goes out late (the bot was down when it was due)
    """
    ALTER TABLE subscribers ADD COLUMN daily_tz TEXT;
    ALTER TABLE subscribers ADD COLUMN daily_next_at REAL;
    ALTER TABLE subscribers ADD COLUMN daily_next_day TEXT;
    CREATE INDEX subscribers_daily_due ON subscribers (daily_next_at)
        WHERE daily_next_at IS NOT NULL;
    ALTER TABLE outbox ADD COLUMN late INTEGER NOT NULL DEFAULT 0
    """,
    # 3: the inbox: each update fetched from Telegram, kept until it is handled
    """
    CREATE TABLE inbox (
        update_id INTEGER PRIMARY KEY,
        body TEXT NOT NULL,
        received_at TEXT NOT NULL
    )
    """,
    # 4: cables whose push Telegram refused (or would refuse) for its content: delivery is
    # held (the rows stay pending, parked) until an editor fixes it and resends
    """
    CREATE TABLE cable_holds (
        cable_id TEXT PRIMARY KEY REFERENCES cables(id),
        reason TEXT NOT NULL,
        held_at TEXT NOT NULL
    )
    """,
    # 5: a cable's outbox rows are written in chunks, subscribers in chat_id order, so that a
    # million of them never hold the database for long; what is left is after after_chat_id
    # (a stop part-way resumes at the next start)
    """
    CREATE TABLE outbox_fills (
        cable_id TEXT PRIMARY KEY REFERENCES cables(id),
        after_chat_id INTEGER NOT NULL
    )
    """,
    # 6: new cables one poll brought beyond NEW_CABLES_PER_POLL: stored, not queued, until an
    # editor pushes them or drops the hold; the editors are asked once (asked_at), and the
    # first decision is the only one
    """
    CREATE TABLE bursts (
        id INTEGER PRIMARY KEY,
        held_at TEXT NOT NULL,
        asked_at TEXT,
        decision TEXT CHECK (decision IN ('push', 'drop')),
        decided_by INTEGER,
        decided_at TEXT
    );
    CREATE TABLE burst_cables (
        cable_id TEXT PRIMARY KEY REFERENCES cables(id),
        burst_id INTEGER NOT NULL REFERENCES bursts(id)
    );
    CREATE INDEX burst_cables_by_burst ON burst_cables (burst_id)
    """,
    # 7: what changed, pushed (bot/push/updates.py). A chat may ask for update pushes too
    # (updates; nothing from before updates_from, the content version when it asked; at
    # most one a day: update_pushed_at). Each chat's version of each situation at its last
    # update push and last daily (push_marks). The outbox takes a third kind, 'update', and
    # each update or daily row names the span of versions it tells of, fixed when queued
    # (and the day of the chat's last daily, since_day);
    # claimed_at is written before an update push is sent, so that a kill between Telegram's
    # answer and the outcome's write never sends it twice. SQLite cannot change a CHECK in
    # place: the outbox is copied into a new table.
    """
    ALTER TABLE subscribers ADD COLUMN updates INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE subscribers ADD COLUMN updates_from INTEGER;
    ALTER TABLE subscribers ADD COLUMN update_pushed_at REAL;
    CREATE INDEX subscribers_updates ON subscribers (chat_id) WHERE updates = 1;
    CREATE TABLE push_marks (
        chat_id INTEGER NOT NULL,
        situation_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('update', 'daily')),
        version INTEGER NOT NULL,
        day TEXT NOT NULL,
        PRIMARY KEY (chat_id, situation_id, kind)
    ) WITHOUT ROWID;
    CREATE TABLE outbox_7 (
        id INTEGER PRIMARY KEY,
        dedupe_key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('cable', 'daily', 'update')),
        cable_id TEXT REFERENCES cables(id),
        chat_id INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'sent', 'failed', 'blocked', 'cancelled')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL DEFAULT 0,
        last_error TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        late INTEGER NOT NULL DEFAULT 0,
        situation_id TEXT,
        since_version INTEGER,
        until_version INTEGER,
        since_day TEXT,
        claimed_at TEXT
    );
    INSERT INTO outbox_7 (id, dedupe_key, kind, cable_id, chat_id, status, attempts,
        next_attempt_at, last_error, created_at, sent_at, late)
        SELECT id, dedupe_key, kind, cable_id, chat_id, status, attempts, next_attempt_at,
        last_error, created_at, sent_at, late FROM outbox;
    DROP TABLE outbox;
    ALTER TABLE outbox_7 RENAME TO outbox;
    CREATE INDEX outbox_due ON outbox (status, next_attempt_at, id);
    CREATE INDEX outbox_by_cable ON outbox (cable_id, status)
    """,
    # 8: whether the editors were told of a hold. One the check makes before queuing is told
    # once its transaction is over, by whichever takes it first (a poll, the /publish that
    # made it, the next start): once, whatever process it is
    """
    ALTER TABLE cable_holds ADD COLUMN told INTEGER NOT NULL DEFAULT 1
    """,
)

DELIVERY = Schema("delivery", MIGRATIONS)
