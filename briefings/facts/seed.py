"""Load the curated seed files into a database: once, and again for a newer revision.

A seed file describes one situation (its sides, sections, cable, facts and claims). A newer
revision of a file replaces the rows it seeded that no editor has touched since, and retires
the untouched ones it no longer lists; whatever an editor changed stays as the editor left it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from briefings.database import Database, utc_now
from briefings.facts.values import Value, value_columns

SEED_DIR = Path(__file__).parent.parent / "data"


def seed_files(folder: Path = SEED_DIR) -> list[Path]:
    """Return the seed files in the order they are applied."""
    return sorted(folder.glob("*.toml"))


def read_seed(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


async def apply_seeds(db: Database, files: Iterable[Path] | None = None) -> list[str]:
    """Apply each seed file not applied before (or applied at an older revision); return the
    names applied now."""
    applied = []
    for path in seed_files() if files is None else files:
        data = read_seed(path)
        revision = int(data.get("revision", 1))
        row = await db.fetch_one("SELECT revision FROM applied_seeds WHERE name = ?", (path.stem,))
        if row is not None and int(row["revision"]) >= revision:
            continue
        async with db.transaction():
            await _apply(db, data, upgrade=row is not None)
            await db.execute(
                "INSERT INTO applied_seeds (name, applied_at, revision) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET applied_at = excluded.applied_at,"
                " revision = excluded.revision",
                (path.stem, utc_now(), revision),
            )
        applied.append(path.stem)
    return applied


async def _apply(db: Database, data: Mapping[str, Any], *, upgrade: bool) -> None:
    situation = data["situation"]
    situation_id = situation["id"]
    cable = data["cable"]
    await db.execute(
        "INSERT INTO situations (id, title, period) VALUES (?, ?, ?) ON CONFLICT (id)"
        " DO UPDATE SET title = excluded.title, period = excluded.period",
        (situation_id, situation["title"], situation["period"]),
    )
    await db.execute("DELETE FROM situation_sides WHERE situation_id = ?", (situation_id,))
    for position, side in enumerate(data.get("sides", [])):
        await db.execute(
            "INSERT INTO situation_sides (situation_id, key, label, words, position)"
            " VALUES (?, ?, ?, ?, ?)",
            (situation_id, side["key"], side["label"], ",".join(side.get("words", [])), position),
        )
    await db.execute("DELETE FROM situation_sections WHERE situation_id = ?", (situation_id,))
    for position, section in enumerate(data.get("sections", [])):
        await db.execute(
            "INSERT INTO situation_sections (situation_id, name, kind, button, title, summary,"
            " offers_trial, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                situation_id,
                section["name"],
                section["kind"],
                section["button"],
                section["title"],
                section["summary"],
                int(section.get("offers_trial", False)),
                position,
            ),
        )
    await db.execute(
        "INSERT INTO cables (id, situation_id, series, title, subtitle, url, url_is_post,"
        " published, published_label, paid, dated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET situation_id = excluded.situation_id,"
        " series = excluded.series, title = excluded.title, subtitle = excluded.subtitle,"
        " url = excluded.url, url_is_post = excluded.url_is_post,"
        " published = excluded.published, published_label = NULL, paid = excluded.paid,"
        " dated_by = excluded.dated_by",
        (
            cable["id"],
            situation_id,
            cable.get("series"),
            cable["title"],
            cable.get("subtitle"),
            cable["url"],
            int(cable.get("url_is_post", True)),
            cable.get("published"),
            int(cable.get("paid", False)),
            cable.get("dated_by"),
        ),
    )
    touched = await _touched_keys(db, situation_id) if upgrade else set()
    now = utc_now()
    facts = data.get("facts", [])
    for position, fact in enumerate(facts):
        if fact["key"] in touched:
            continue
        value = value_columns(seed_value(fact))
        await db.execute(
            "INSERT OR REPLACE INTO facts (situation_id, key, section, side, label, value_kind,"
            " value_low, value_high, value_text, approx, unit, value_given, claimant, note,"
            " assessment, source_cable_id, as_of, position, updated_at, voice, quote, place)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?, ?, ?, ?)",
            (
                situation_id,
                fact["key"],
                fact["section"],
                fact.get("side"),
                fact["label"],
                *value.values(),
                fact.get("claimant") or "The Bismarck Cables",
                cable["id"],
                fact.get("as_of", cable["published"]),
                position,
                now,
                fact.get("voice", "cable"),
                fact.get("quote"),
                fact.get("place"),
            ),
        )
    claims = data.get("claims", [])
    for position, claim in enumerate(claims):
        if claim["key"] in touched:
            continue
        value = value_columns(seed_value(claim) if "value" in claim else None)
        await db.execute(
            "INSERT OR REPLACE INTO claims (situation_id, key, claimant, claim, value_kind,"
            " value_low, value_high, value_text, approx, unit, value_given, verdict, reasoning,"
            " evidence_keys, source_cable_id, as_of, position, updated_at, quote, verdict_by,"
            " place) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                situation_id,
                claim["key"],
                claim["claimant"],
                claim["claim"],
                *value.values(),
                claim.get("verdict"),
                claim.get("reasoning"),
                ",".join(claim.get("evidence", [])),
                cable["id"],
                claim.get("as_of", cable["published"]),
                position,
                now,
                claim.get("quote"),
                claim.get("verdict_by") if claim.get("verdict") else None,
                claim.get("place"),
            ),
        )
    if upgrade:
        # What an earlier revision seeded and this one no longer lists leaves the briefings,
        # unless an editor has made it theirs.
        for table, listed in (("facts", facts), ("claims", claims)):
            keys = [item["key"] for item in listed]
            marks = ",".join("?" for _ in keys) or "''"
            await db.execute(
                f"UPDATE {table} SET retired_at = ?, updated_at = ? WHERE situation_id = ?"
                f" AND source_cable_id = ? AND retired_at IS NULL AND edited_by IS NULL"
                f" AND key NOT IN ({marks})",
                (now, now, situation_id, cable["id"], *keys),
            )


async def _touched_keys(db: Database, situation_id: str) -> set[str]:
    rows = await db.fetch_all(
        "SELECT DISTINCT key FROM changes WHERE situation_id = ?", (situation_id,)
    )
    return {row[0] for row in rows}


def seed_value(item: Mapping[str, Any]) -> Value:
    """Read a statement's seed value: a number, [low, high], or text, with its unit and the
    cable's own words for it (given)."""
    raw, approx, unit = item["value"], bool(item.get("approx", False)), item.get("unit")
    given = item.get("given")
    if isinstance(raw, list):
        low, high = raw
        return Value("range", low=float(low), high=float(high), approx=approx, unit=unit,
                     given=given)  # fmt: skip
    if isinstance(raw, str):
        return Value("text", text=raw, approx=approx, unit=unit, given=given)
    return Value("number", low=float(raw), approx=approx, unit=unit, given=given)
