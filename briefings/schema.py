"""The content's tables (situations, facts, claims, their history, cables, the feed's
polling state and the drafts editors review) as numbered migrations, and opening a database
with them, seeded."""

from __future__ import annotations

import os

from briefings.database import Database, Schema
from briefings.facts.seed import apply_seeds

# What readers are shown is made of these tables, as migration 8 counts their writes (one
# added later gets its triggers in a migration of its own).
_SHOWN = ("situations", "situation_sides", "situation_sections", "cables", "facts", "claims",
          "changes")  # fmt: skip


# The registry of situations is made of these (migration 10 counts their writes apart, so
# that a change to a fact leaves the registry every command reads as it was).
_SITUATION_TABLES = ("situations", "situation_sides", "situation_sections")


def _counting_writes(
    table: str, key: str | None = None, counter: str = "content_writes", name: str = "counted"
) -> str:
    """Triggers, named {table}_{event}_{name}, that count each row written to table in the
    counter table (of app_state, the row with this key alone)."""
    return "".join(
        f"CREATE TRIGGER {table}_{event.lower()}_{name} AFTER {event} ON {table}"
        + (f" WHEN {row}.key = '{key}'" if key else "")
        + f" BEGIN UPDATE {counter} SET count = count + 1; END;\n"
        for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))
    )


def _situation_counting() -> str:
    """Triggers that count the registry's writes in situation_writes (migration 10)."""
    counted = {"counter": "situation_writes", "name": "situations_counted"}
    return "".join(_counting_writes(table, **counted) for table in _SITUATION_TABLES) + (
        _counting_writes("app_state", key="current_situation", **counted)
    )


def _counter(table: str) -> str:
    return (
        f"CREATE TABLE {table} (id INTEGER PRIMARY KEY CHECK (id = 1),"
        f" count INTEGER NOT NULL);\nINSERT INTO {table} (id, count) VALUES (1, 0);\n"
    )


# Append only: never edit a migration that has shipped. Migration N (1-based) is MIGRATIONS[N-1].
MIGRATIONS: tuple[str, ...] = (
    # 1: situations, cables, facts, claims, applied seeds
    """
    CREATE TABLE situations (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        period TEXT NOT NULL
    );
    CREATE TABLE cables (
        id TEXT PRIMARY KEY,
        situation_id TEXT REFERENCES situations(id),
        series TEXT,
        title TEXT NOT NULL,
        subtitle TEXT,
        url TEXT NOT NULL,
        url_is_post INTEGER NOT NULL DEFAULT 1,
        published TEXT,
        published_label TEXT,
        paid INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE facts (
        id INTEGER PRIMARY KEY,
        situation_id TEXT NOT NULL REFERENCES situations(id),
        key TEXT NOT NULL,
        section TEXT NOT NULL,
        side TEXT,
        label TEXT NOT NULL,
        value_kind TEXT NOT NULL CHECK (value_kind IN ('number', 'range', 'text')),
        value_low REAL,
        value_high REAL,
        value_text TEXT,
        approx INTEGER NOT NULL DEFAULT 0,
        unit TEXT,
        claimant TEXT NOT NULL,
        note TEXT,
        assessment TEXT,
        source_cable_id TEXT REFERENCES cables(id),
        source_url TEXT,
        as_of TEXT NOT NULL,
        position INTEGER NOT NULL DEFAULT 0,
        retired_at TEXT,
        updated_at TEXT NOT NULL,
        UNIQUE (situation_id, key)
    );
    CREATE TABLE claims (
        id INTEGER PRIMARY KEY,
        situation_id TEXT NOT NULL REFERENCES situations(id),
        key TEXT NOT NULL,
        claimant TEXT NOT NULL,
        claim TEXT NOT NULL,
        value_kind TEXT CHECK (value_kind IN ('number', 'range', 'text')),
        value_low REAL,
        value_high REAL,
        value_text TEXT,
        approx INTEGER NOT NULL DEFAULT 0,
        unit TEXT,
        verdict TEXT,
        reasoning TEXT,
        evidence_keys TEXT NOT NULL DEFAULT '',
        source_cable_id TEXT REFERENCES cables(id),
        source_url TEXT,
        as_of TEXT NOT NULL,
        position INTEGER NOT NULL DEFAULT 0,
        retired_at TEXT,
        updated_at TEXT NOT NULL,
        UNIQUE (situation_id, key)
    );
    CREATE TABLE applied_seeds (
        name TEXT PRIMARY KEY,
        applied_at TEXT NOT NULL
    );
    """,
    # 2: the append-only history of editors' changes, each with full before/after snapshots
    """
    CREATE TABLE changes (
        id INTEGER PRIMARY KEY,
        situation_id TEXT NOT NULL REFERENCES situations(id),
        kind TEXT NOT NULL CHECK (kind IN ('fact', 'claim')),
        key TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('add', 'set', 'edit', 'retire', 'undo')),
        before_json TEXT,
        after_json TEXT,
        editor_id INTEGER NOT NULL,
        editor_name TEXT,
        changed_at TEXT NOT NULL,
        undoes INTEGER REFERENCES changes(id)
    );
    CREATE INDEX changes_by_key ON changes (situation_id, kind, key, id);
    CREATE INDEX changes_by_editor ON changes (editor_id, id);
    ALTER TABLE facts ADD COLUMN edited_by TEXT;
    ALTER TABLE claims ADD COLUMN edited_by TEXT
    """,
    # 3: cables from the feed, and the feed's polling state (conditional GET, health)
    """
    ALTER TABLE cables ADD COLUMN guid TEXT;
    ALTER TABLE cables ADD COLUMN teaser_html TEXT;
    ALTER TABLE cables ADD COLUMN origin TEXT NOT NULL DEFAULT 'seed';
    ALTER TABLE cables ADD COLUMN discovered_at TEXT;
    ALTER TABLE cables ADD COLUMN pushed_at TEXT;
    CREATE UNIQUE INDEX cables_by_guid ON cables (guid);
    CREATE TABLE feed_state (
        url TEXT PRIMARY KEY,
        etag TEXT,
        last_modified TEXT,
        primed_at TEXT,
        last_poll_at TEXT,
        last_ok_at TEXT,
        last_result TEXT
    )
    """,
    # 4: every statement's voice and the cable's words it rests on (docs/EDITORIAL.md), the
    # verdict's voice, a cable's date that is the editors' reading, seed revisions, and a
    # situation's sides and sections as data. Rows an editor changed become the editors'.
    """
    ALTER TABLE facts ADD COLUMN voice TEXT NOT NULL DEFAULT 'cable'
        CHECK (voice IN ('side', 'cable', 'cited', 'editors'));
    ALTER TABLE facts ADD COLUMN quote TEXT;
    UPDATE facts SET voice = 'editors' WHERE edited_by IS NOT NULL;
    ALTER TABLE claims ADD COLUMN quote TEXT;
    ALTER TABLE claims ADD COLUMN verdict_by TEXT;
    UPDATE claims SET verdict_by = CASE WHEN edited_by IS NULL THEN 'cable' ELSE 'editors' END
        WHERE verdict IS NOT NULL;
    ALTER TABLE cables ADD COLUMN dated_by TEXT;
    ALTER TABLE applied_seeds ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
    CREATE TABLE situation_sides (
        situation_id TEXT NOT NULL REFERENCES situations(id),
        key TEXT NOT NULL,
        label TEXT NOT NULL,
        words TEXT NOT NULL DEFAULT '',
        position INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (situation_id, key)
    );
    CREATE TABLE situation_sections (
        situation_id TEXT NOT NULL REFERENCES situations(id),
        name TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('brief', 'figures', 'claims', 'topic', 'sources')),
        button TEXT NOT NULL,
        title TEXT NOT NULL,
        summary TEXT NOT NULL,
        offers_trial INTEGER NOT NULL DEFAULT 0,
        position INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (situation_id, name)
    );
    CREATE TABLE app_state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )
    """,
    # 5: the update an editor's change came in, so one handled again after a hard kill
    # finds its change made and makes it no second time
    """
    ALTER TABLE changes ADD COLUMN update_id INTEGER;
    CREATE UNIQUE INDEX changes_by_update ON changes (update_id) WHERE update_id IS NOT NULL
    """,
    # 6: a value in the cable's own words ("around 10-15k"), and the place a figure is about
    # (the border, Kursk), so figures about different places are not set side by side
    """
    ALTER TABLE facts ADD COLUMN value_given TEXT;
    ALTER TABLE claims ADD COLUMN value_given TEXT;
    ALTER TABLE facts ADD COLUMN place TEXT;
    ALTER TABLE claims ADD COLUMN place TEXT
    """,
    # 7: statements drafted from each new cable, waiting for the editors' review, and the
    # batch of changes a publish of them makes (one entry in /history, one /undo)
    """
    CREATE TABLE drafts (
        id INTEGER PRIMARY KEY,
        cable_id TEXT NOT NULL REFERENCES cables(id),
        position INTEGER NOT NULL,
        kind TEXT NOT NULL,
        draft_json TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'waiting'
            CHECK (status IN ('waiting', 'accepted', 'skipped', 'published')),
        situation_id TEXT,
        decided_by INTEGER,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX drafts_by_cable ON drafts (cable_id, status, position);
    ALTER TABLE changes ADD COLUMN batch INTEGER
    """,
    # 8: every row written to what readers see, counted by triggers in the write's own
    # transaction, whatever makes it: the stamp every cache is kept against (briefings/stamp.py)
    """
    CREATE TABLE content_writes (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        count INTEGER NOT NULL
    );
    INSERT INTO content_writes (id, count) VALUES (1, 0);
    """
    + "".join(_counting_writes(table) for table in _SHOWN)
    + _counting_writes("app_state", key="current_situation"),  # the situation readers get
    # 9: the change that published each draft (a batch's first row), so that its /undo
    # gives the drafts back to the review, accepted
    """
    ALTER TABLE drafts ADD COLUMN published_in INTEGER
    """,
    # 10: the writes to the registry of situations, counted apart: its own stamp
    # (briefings/stamp.py), which facts, claims, cables and their history leave as it is
    _counter("situation_writes") + _situation_counting(),
)

CONTENT = Schema("content", MIGRATIONS)


async def open_database(path: str | os.PathLike[str], *more: Schema) -> Database:
    """Open the database at path with the content's tables (and more schemas after them),
    migrated, and seeded once from briefings/data."""
    db = await Database.open(path, (CONTENT, *more))
    try:
        await apply_seeds(db)
    except BaseException:
        await db.close()
        raise
    return db
