"""The facts store: migrations, the one-time seed, and the figures of the first cable."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from bench.storage import open_store, write
from bot.push.schema import DELIVERY
from briefings.database import TABLE_TRACKED_VERSION, Database, DatabaseProblem, Schema
from briefings.facts.values import Value
from briefings.schema import CONTENT

NEWSLETTER_HOME = "https://thebismarckcables.substack.com"


async def test_database_and_its_folder_are_created(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "folder" / "cables.db"
    store = await open_store(path)
    await store.db.close()
    assert path.is_file()


def tables(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [row[0] for row in conn.execute("SELECT sql FROM sqlite_master ORDER BY name")]


async def test_migrating_twice_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    db = await Database.open(path, (CONTENT, DELIVERY))
    try:
        assert await db.applied() == {"content": CONTENT.latest, "delivery": DELIVERY.latest}
        assert await db.fetch_value("PRAGMA journal_mode") == "wal"
    finally:
        await db.close()
    before = tables(path)
    db = await Database.open(path, (CONTENT, DELIVERY))
    await db.close()
    assert tables(path) == before


async def test_each_package_migrates_its_own_tables(tmp_path: Path) -> None:
    # The content alone (as `cables-bot render` opens it) has no delivery tables; the bot's
    # first start adds them, after the content's, which they refer to.
    path = tmp_path / "c.db"
    db = await Database.open(path, (CONTENT,))
    await db.close()
    assert not any("CREATE TABLE outbox" in (sql or "") for sql in tables(path))
    db = await Database.open(path, (CONTENT, DELIVERY))
    try:
        assert await db.applied() == {"content": CONTENT.latest, "delivery": DELIVERY.latest}
    finally:
        await db.close()
    assert any("CREATE TABLE outbox" in (sql or "") for sql in tables(path))


async def test_a_file_from_before_per_package_migrations_is_adopted(tmp_path: Path) -> None:
    # What earlier programs wrote: every table of their three migrations, user_version 3.
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        for script in (*CONTENT.migrations[:3], DELIVERY.migrations[0]):
            conn.executescript(script)
        conn.execute("INSERT INTO subscribers (chat_id, chat_type, daily_time, subscribed_at,"
                     " updated_at) VALUES (7, 'private', '07:30', 'then', 'then')")  # fmt: skip
        conn.execute("PRAGMA user_version = 3")
    db = await Database.open(path, (CONTENT, DELIVERY))
    try:
        assert await db.applied() == {"content": CONTENT.latest, "delivery": DELIVERY.latest}
        assert await db.fetch_value("PRAGMA user_version") == TABLE_TRACKED_VERSION
        row = await db.fetch_one("SELECT daily_time, daily_tz FROM subscribers")
        assert row is not None and tuple(row) == ("07:30", None)  # kept; the zone is UTC's
    finally:
        await db.close()


async def test_a_schema_newer_than_the_program_is_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    db = await Database.open(path, (CONTENT, DELIVERY))
    await db.close()
    shorter = Schema("delivery", DELIVERY.migrations[:1])  # a program that knows one migration
    with pytest.raises(DatabaseProblem) as refused:
        await Database.open(path, (CONTENT, shorter))
    assert str(refused.value) == (
        f"the database's delivery schema is at migration {DELIVERY.latest}, newer than this "
        "program knows (1): upgrade cables-bot"
    )
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 7")  # neither a file of ours nor of earlier ones
    with pytest.raises(DatabaseProblem, match="newer than this program knows"):
        await Database.open(path, (CONTENT,))


async def test_a_write_outside_a_transaction_is_refused(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "c.db")
    try:
        with pytest.raises(RuntimeError, match=r"outside Database\.transaction"):
            await store.db.execute("DELETE FROM facts")
        assert await store.facts()
    finally:
        await store.db.close()


async def test_restart_neither_duplicates_nor_overwrites_curated_facts(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    store = await open_store(path)
    count = len(await store.facts())
    await write(
        store.db, "UPDATE facts SET value_low = 25000 WHERE key = 'russian_troops_in_belarus'"
    )
    await write(store.db, "UPDATE facts SET retired_at = 'x' WHERE key = 'border_length'")
    await store.db.close()

    store = await open_store(path)
    try:
        facts = {fact.key: fact for fact in await store.facts()}
        assert await store.db.fetch_value("SELECT COUNT(*) FROM facts") == count
        assert facts["russian_troops_in_belarus"].value.low == 25000
        assert "border_length" not in facts
    finally:
        await store.db.close()


async def test_seed_holds_the_first_cables_figures(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "c.db")
    try:
        facts = {fact.key: fact for fact in await store.facts()}
        claims = {claim.key: claim for claim in await store.claims()}
    finally:
        await store.db.close()

    expected = {
        "border_length": (Value.number(674), "674"),  # "the 674- long": no unit given
        "belarus_active_army": (Value.number(60000, "personnel", approx=True),
                                "around 60,000 personnel"),
        "belarus_unit_manning": (Value.range(30, 40, "% capacity"), "only 30-40% capacity"),
        "russian_troops_in_belarus": (Value.number(10000, "troops", approx=True), "around 10k"),
        "ukraine_kursk_troops": (Value.range(10000, 15000, "troops", approx=True),
                                 "around 10-15k"),
        "ukraine_northern_border_troops": (Value.words("only a few thousand", "troops"),
                                           "most likely has only a few thousand troops"),
        "russia_kursk_redirect": (Value.number(30000, "troops"), "barely mustered 30k"),
    }  # fmt: skip
    for key, (value, shown) in expected.items():
        # The amount for the chart and the sums, and the cable's own words for readers.
        assert replace(facts[key].value, given=None) == value, key
        assert facts[key].value.display() == shown, key
    assert "belarus_border_troops" not in facts  # Belarus's number is a claim, not a fact
    assert {fact.voice for fact in facts.values()} == {"cable", "cited"}
    assert facts["ukraine_kursk_troops"].claimant == "most open intel analysts"
    assert [f.key for f in facts.values() if f.section == "bottom_line"] == [
        "bottom_threat", "bottom_fixing", "bottom_gains"
    ]  # fmt: skip
    assert all(fact.quote for fact in facts.values())

    claim = claims["ukraine_massed_120k"]
    assert claim.claimant == "Belarus"
    assert claim.value == Value("number", low=120000, unit="troops", given="120k troops")
    assert (claim.verdict, claim.verdict_by) == ("preposterous", "cable")
    assert [fact.key for fact in claim.evidence] == [
        "ukraine_kursk_troops",
        "ukraine_northern_border_troops",
    ]
    third = claims["belarus_third_of_forces"]
    assert third.value is not None
    assert third.value.display() == "approximately 20,000 troops"  # the cable's words
    assert replace(third.value, given=None) == Value.number(20000, "troops", approx=True)
    assert third.verdict is None and third.reasoning is None  # the cable gives none

    for fact in facts.values():
        assert fact.as_of == "2024-08"
        assert fact.source is not None and fact.source.url == NEWSLETTER_HOME
        assert fact.source.url_is_post is False
        assert fact.source.dated_by == "editors"


SEED_V1 = """
[situation]
id = "test-situation"
title = "A test situation"
period = "2025"

[cable]
id = "test-cable"
title = "A test cable"
url = "https://example.org/"
published = "2025-01"

[[facts]]
key = "kept"
section = "forces"
label = "Touched by an editor"
value = 1

[[facts]]
key = "replaced"
section = "forces"
label = "Old wording"
value = 2

[[facts]]
key = "dropped"
section = "forces"
label = "No longer in the seed"
value = 3
"""


async def test_a_newer_seed_revision_replaces_only_what_no_editor_touched(
    tmp_path: Path,
) -> None:
    from briefings.facts.editing import Editor, FactEditor
    from briefings.facts.seed import apply_seeds
    from briefings.rendering.renderer import BriefingRenderer

    seed = tmp_path / "test-seed.toml"
    seed.write_text(SEED_V1, encoding="utf-8")
    store = await open_store(tmp_path / "c.db")
    try:
        assert await apply_seeds(store.db, [seed]) == ["test-seed"]
        other = type(store)(store.db, "test-situation")
        editor = FactEditor(other, BriefingRenderer(other))
        await editor.set_value("kept", Value.number(10), Editor(1, "Ed"))
        revised = SEED_V1.replace("Old wording", "New wording").replace(
            "value = 1\n", "value = 9\n"
        )
        revised = "revision = 2\n" + revised.split('[[facts]]\nkey = "dropped"')[0]
        seed.write_text(revised, encoding="utf-8")
        assert await apply_seeds(store.db, [seed]) == ["test-seed"]
        assert await apply_seeds(store.db, [seed]) == []  # once per revision
        facts = {fact.key: fact for fact in await other.facts()}
        assert facts["kept"].value.low == 10  # the editor's, as the editor left it
        assert facts["replaced"].label == "New wording"
        assert "dropped" not in facts  # retired, its row kept
        assert await store.db.fetch_value(
            "SELECT retired_at IS NOT NULL FROM facts WHERE key = 'dropped'"
        )
    finally:
        await store.db.close()


async def test_an_older_database_gets_the_corrected_seed(tmp_path: Path) -> None:
    # A database seeded from the first revision (Belarus's 20,000 as a fact, 1,084 km) gets
    # the corrected statements at its next start, except what editors made their own.
    path = tmp_path / "c.db"
    store = await open_store(path)
    await write(store.db, "UPDATE applied_seeds SET revision = 1")
    await write(
        store.db,
        "INSERT INTO facts (situation_id, key, section, label, value_kind, value_low, unit,"
        " claimant, source_cable_id, as_of, updated_at) VALUES ('belarus-ukraine-border-2024',"
        " 'belarus_border_troops', 'forces', 'Belarus troops', 'number', 20000, 'troops',"
        " 'Belarus (official claim)', 'cable-001', '2024-08', 'then')",
    )
    await write(
        store.db, "UPDATE facts SET value_low = 1084, unit = 'km' WHERE key = 'border_length'"
    )
    await store.db.close()
    store = await open_store(path)
    try:
        facts = {fact.key: fact for fact in await store.facts()}
        assert "belarus_border_troops" not in facts
        assert facts["border_length"].value == Value.number(674)
    finally:
        await store.db.close()


async def test_a_read_neither_waits_for_a_write_nor_sees_it_half_made(tmp_path: Path) -> None:
    # Chats are handled side by side: a reader's /forces may come while an editor's change is
    # half made, and that change may yet be refused and rolled back. The reader gets the last
    # committed facts at once, without waiting for the write to end.
    store = await open_store(tmp_path / "c.db")
    half_made, refuse = asyncio.Event(), asyncio.Event()

    async def refused_change() -> None:
        async with store.db.transaction():
            await store.db.execute("UPDATE facts SET label = 'HALF-MADE'")
            half_made.set()
            await refuse.wait()
            raise LookupError("refused")

    try:
        writer = asyncio.create_task(refused_change())
        await half_made.wait()
        facts = await asyncio.wait_for(store.facts(), 10)  # the write is still open here
        assert not writer.done()
        assert facts and all(fact.label != "HALF-MADE" for fact in facts)
        refuse.set()
        with pytest.raises(LookupError):
            await writer
        assert all(fact.label != "HALF-MADE" for fact in await store.facts())
        # Inside its own transaction, a writer reads what it has written so far.
        with pytest.raises(LookupError):
            async with store.db.transaction():
                await store.db.execute("UPDATE facts SET label = 'MINE'")
                assert {fact.label for fact in await store.facts()} == {"MINE"}
                raise LookupError("rolled back")
        assert "MINE" not in {fact.label for fact in await store.facts()}
    finally:
        await store.db.close()


async def test_a_quick_read_passes_a_reader_busy_with_a_slow_one(tmp_path: Path) -> None:
    # A count over a cable's 100,000 outbox rows must not hold up a reader's briefing: reads
    # go to the reader with the fewest under way, not to each reader in turn (in turn, the
    # second quick read below would wait behind the slow one).
    store = await open_store(tmp_path / "c.db")
    slow_sql = (
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 5000000)"
        " SELECT COUNT(*) FROM n"
    )
    try:
        slow = asyncio.create_task(store.db.fetch_value(slow_sql))
        await asyncio.sleep(0)  # the slow read is handed to its reader
        for _ in range(3):
            assert await store.facts()
        assert not slow.done()
        slow.cancel()  # the read itself runs on; the close below waits for it
    finally:
        await store.db.close()
