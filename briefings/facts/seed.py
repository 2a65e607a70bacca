"""Load the curated seed files into a database, once per file and never again."""

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


async def apply_seeds(db: Database, files: Iterable[Path] | None = None) -> list[str]:
    """Apply each seed file not applied before; return the names applied now."""
    applied = []
    for path in seed_files() if files is None else files:
        if await db.fetch_one("SELECT 1 FROM applied_seeds WHERE name = ?", (path.stem,)):
            continue
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        async with db.transaction():
            await _insert_seed(db, data)
            await db.execute(
                "INSERT INTO applied_seeds (name, applied_at) VALUES (?, ?)",
                (path.stem, utc_now()),
            )
        applied.append(path.stem)
    return applied


async def _insert_seed(db: Database, data: Mapping[str, Any]) -> None:
    situation = data["situation"]
    cable = data["cable"]
    now = utc_now()
    await db.execute(
        "INSERT OR IGNORE INTO situations (id, title, period) VALUES (?, ?, ?)",
        (situation["id"], situation["title"], situation["period"]),
    )
    await db.execute(
        "INSERT OR IGNORE INTO cables (id, situation_id, series, title, subtitle, url,"
        " url_is_post, published, published_label, paid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            cable["id"],
            situation["id"],
            cable.get("series"),
            cable["title"],
            cable.get("subtitle"),
            cable["url"],
            int(cable.get("url_is_post", True)),
            cable.get("published"),
            cable.get("published_label"),
            int(cable.get("paid", False)),
        ),
    )
    for position, fact in enumerate(data.get("facts", [])):
        value = value_columns(
            seed_value(fact["value"], fact.get("approx", False), fact.get("unit"))
        )
        await db.execute(
            "INSERT OR IGNORE INTO facts (situation_id, key, section, side, label, value_kind,"
            " value_low, value_high, value_text, approx, unit, claimant, note, assessment,"
            " source_cable_id, as_of, position, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                situation["id"],
                fact["key"],
                fact["section"],
                fact.get("side"),
                fact["label"],
                *value.values(),
                fact["claimant"],
                fact.get("note"),
                fact.get("assessment"),
                cable["id"],
                fact.get("as_of", cable["published"]),
                position,
                now,
            ),
        )
    for position, claim in enumerate(data.get("claims", [])):
        value = value_columns(
            seed_value(claim["value"], claim.get("approx", False), claim.get("unit"))
            if "value" in claim
            else None
        )
        await db.execute(
            "INSERT OR IGNORE INTO claims (situation_id, key, claimant, claim, value_kind,"
            " value_low, value_high, value_text, approx, unit, verdict, reasoning,"
            " evidence_keys, source_cable_id, as_of, position, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                situation["id"],
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
            ),
        )


def seed_value(
    raw: int | float | str | list[int | float], approx: bool, unit: str | None
) -> Value:
    """Read a seed value: a number, [low, high], or text."""
    if isinstance(raw, list):
        low, high = raw
        return Value.range(float(low), float(high), unit, approx)
    if isinstance(raw, str):
        return Value("text", text=raw, approx=approx, unit=unit)
    return Value.number(float(raw), unit, approx)
