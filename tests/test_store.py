"""The facts store: migrations, the one-time seed, and the figures of the first cable."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from briefings.db import connect, migrate, schema_version, transaction
from briefings.migrations import LATEST_VERSION
from briefings.store import FactStore
from briefings.values import Value

NEWSLETTER_HOME = "https://thebismarckcables.substack.com"


async def test_database_and_its_folder_are_created(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "folder" / "cables.db"
    store = await FactStore.open(path)
    await store.close()
    assert path.is_file()


async def test_migrating_twice_changes_nothing(tmp_path: Path) -> None:
    conn = await connect(tmp_path / "c.db")
    try:
        async with conn.execute("SELECT sql FROM sqlite_master ORDER BY name") as cursor:
            schema_before = [row[0] for row in await cursor.fetchall()]
        assert await migrate(conn) == LATEST_VERSION
        async with conn.execute("SELECT sql FROM sqlite_master ORDER BY name") as cursor:
            schema_after = [row[0] for row in await cursor.fetchall()]
        assert await schema_version(conn) == LATEST_VERSION
        assert schema_after == schema_before
        async with conn.execute("PRAGMA journal_mode") as cursor:
            assert (await cursor.fetchone())[0] == "wal"
    finally:
        await conn.close()


async def test_restart_neither_duplicates_nor_overwrites_curated_facts(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    store = await FactStore.open(path)
    count = len(await store.facts())
    await store.conn.execute(
        "UPDATE facts SET value_low = 25000 WHERE key = 'belarus_border_troops'"
    )
    await store.conn.execute("UPDATE facts SET retired_at = 'x' WHERE key = 'border_length'")
    await store.close()

    store = await FactStore.open(path)
    try:
        facts = {fact.key: fact for fact in await store.facts()}
        async with store.conn.execute("SELECT COUNT(*) FROM facts") as cursor:
            assert (await cursor.fetchone())[0] == count
        assert facts["belarus_border_troops"].value.low == 25000
        assert "border_length" not in facts
    finally:
        await store.close()


async def test_seed_holds_the_first_cables_figures(tmp_path: Path) -> None:
    store = await FactStore.open(tmp_path / "c.db")
    try:
        facts = {fact.key: fact for fact in await store.facts()}
        claims = {claim.key: claim for claim in await store.claims()}
    finally:
        await store.close()

    expected = {
        "belarus_border_troops": Value.number(20000, "troops", approx=True),
        "border_length": Value.number(1084, "km"),
        "belarus_active_army": Value.number(60000, "personnel", approx=True),
        "belarus_unit_manning": Value.range(30, 40, "% of capacity"),
        "russian_troops_in_belarus": Value.number(10000, "troops", approx=True),
        "ukraine_kursk_troops": Value.range(10000, 15000, "troops"),
        "ukraine_northern_border_troops": Value.words("a few thousand", "troops"),
        "russia_kursk_redirect": Value.number(30000, "troops", approx=True),
    }
    for key, value in expected.items():
        assert facts[key].value == value, key
    assert facts["belarus_border_troops"].claimant.startswith("Belarus")
    assert "nearly a third of its armed forces" in (facts["belarus_border_troops"].note or "")
    assert "Wagner" in (facts["belarus_border_troops"].note or "")
    assert "674 miles" in (facts["border_length"].note or "")
    assert "open-intelligence" in facts["ukraine_kursk_troops"].claimant
    assert facts["fortification_types"].value.text == "trenches, bunkers and anti-tank defences"
    assert "“fixing” operation" in (facts["assessment_fixing"].value.text or "")
    assert "regime" in (facts["calculus_second_front"].value.text or "")

    claim = claims["ukraine_massed_120k"]
    assert claim.claimant == "Belarus"
    assert claim.value == Value.number(120000, "troops")
    assert claim.verdict == "preposterous"
    assert [fact.key for fact in claim.evidence] == [
        "ukraine_kursk_troops",
        "ukraine_northern_border_troops",
    ]

    for fact in facts.values():
        assert fact.as_of == "2024-08"
        assert fact.source is not None and fact.source.url == NEWSLETTER_HOME
        assert fact.source.url_is_post is False


async def test_a_read_never_sees_a_change_that_is_then_rolled_back(tmp_path: Path) -> None:
    # Chats are handled side by side on one connection: a reader's /forces may come while an
    # editor's change is half made, and that change may yet be refused and rolled back.
    store = await FactStore.open(tmp_path / "c.db")
    half_made, refuse = asyncio.Event(), asyncio.Event()

    async def refused_change() -> None:
        async with transaction(store.conn):
            await store.conn.execute("UPDATE facts SET label = 'HALF-MADE'")
            half_made.set()
            await refuse.wait()
            raise LookupError("refused")

    try:
        writer = asyncio.create_task(refused_change())
        await half_made.wait()
        reader = asyncio.create_task(store.facts())
        for _ in range(5):  # let the reader get as far as it can: up to its query, or the lock
            await asyncio.sleep(0)
        refuse.set()
        with pytest.raises(LookupError):
            await writer
        facts = await reader
        assert facts and all(fact.label != "HALF-MADE" for fact in facts)
        # Inside its own transaction, a writer reads what it has written so far.
        with pytest.raises(LookupError):
            async with transaction(store.conn):
                await store.conn.execute("UPDATE facts SET label = 'MINE'")
                assert {fact.label for fact in await store.facts()} == {"MINE"}
                raise LookupError("rolled back")
    finally:
        await store.close()
