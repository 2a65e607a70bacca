"""A second situation, from a test fixture alone: every reader and editor command on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bench import factories
from bench.fake_feed import FakeFeed, fixture
from bench.storage import open_store
from briefings.facts.seed import apply_seeds
from briefings.rendering.telegram_html import visible_text
from tests.auxil.fake_telegram import FakeTelegram
from tests.conftest import RunningBot, running_bot

SECOND = Path(__file__).parent / "fixtures" / "situation-test-strait.toml"
SLUG = "test-strait"


@pytest.fixture
async def two(
    make_settings: Any, telegram: FakeTelegram, feed: FakeFeed
) -> AsyncIterator[RunningBot]:
    """A bot whose database holds the shipped situation and the test strait's."""
    settings = make_settings(feed_url=feed.url)
    store = await open_store(settings.database_path)
    try:
        assert await apply_seeds(store.db, [SECOND]) == [SECOND.stem]
    finally:
        await store.db.close()
    async with running_bot(settings, telegram) as bot:
        yield bot


def text_of(call: Any) -> str:
    return visible_text(call.params.get("text") or call.params.get("caption") or "")


def callbacks(call: Any) -> list[str]:
    rows = (call.params.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


async def editor(bot: RunningBot, text: str) -> Any:
    return await bot.send(factories.editor_message(text))


async def figures(bot: RunningBot, text: str) -> str:
    """A figures section's reply: a chart, whose caption carries a short briefing whole."""
    telegram, chat = bot.telegram, factories.READER_ID
    before = len(telegram.calls)
    await telegram.push_update(factories.message(text))
    [reply, *_] = await telegram.wait_for(
        lambda: [c for c in telegram.calls[before:]
                 if c.method in ("sendPhoto", "sendMessage")
                 and int(c.params.get("chat_id", 0)) == chat] or None
    )  # fmt: skip
    assert reply.method == "sendPhoto"
    return text_of(reply)


async def test_readers_reach_a_second_situation_by_its_slug(two: RunningBot) -> None:
    listing = text_of(await two.say("/situations"))
    assert "Belarus masses troops on the Ukrainian border (August 2024): what every command" in (
        listing
    )
    # Another situation's sections are deep links (tests/test_situation_taps.py).
    assert "Naval drills in a test strait (March 2025)\n/brief  /fleets  /claims  /airspace" in (
        listing
    )

    brief = text_of(await two.say(f"/brief {SLUG}"))
    assert brief.startswith("📋 Naval drills in a test strait\n\nBottom line")
    assert "Bottom line\n• A show of force, not a blockade." in brief
    # The brief's figures are those counted in people; the warships stay in /fleets.
    assert "Figures\n• Southland sailors on alert: about 3,000–4,000 personnel" in brief
    assert "Northland claims the drills are purely defensive." in brief
    assert "Belarus" not in brief  # nothing of the other situation

    fleets = await figures(two, f"/fleets {SLUG}")
    assert "⬆️ Northland\n• Northland destroyers in the strait: 12 warships" in fleets
    assert (
        "Southland sailors on alert: about 3,000–4,000 personnel (harbour officials, per the"
        in (fleets)
    )
    assert [
        call for call in two.telegram.photos(factories.READER_ID)
    ]  # a figures section: a chart
    airspace = await two.say(f"/airspace {SLUG}")
    assert "Closed to civil flights: the northern half" in text_of(airspace)
    assert "The free preview stops here: the rest of “A test c" in text_of(airspace)
    assert f"section:fleets:{SLUG}" in callbacks(airspace)

    # A section button keeps to its situation, editing the message in place.
    edited = await two.tap(airspace, f"section:claims:{SLUG}")
    assert edited.method == "editMessageText"
    assert "Northland claims the drills are purely defensive." in text_of(edited)

    deep = await figures(two, f"/start fleets-{SLUG}")
    assert "Fleets: Naval drills in a test strait" in deep
    # The default situation's commands are untouched; a section it lacks comes from the
    # situation that has it (tests/test_situation_taps.py).
    assert "Belarus masses troops" in text_of(await two.say("/brief"))
    assert text_of(await two.say("/airspace")).startswith("✈️ The airspace")
    missing = text_of(await two.say("/brief nowhere-land"))
    assert "There is no situation called nowhere-land" in missing


async def test_editors_work_in_a_situation_and_choose_the_default(two: RunningBot) -> None:
    shown = text_of(await editor(two, f"/situation {SLUG}"))
    assert f"{SLUG}: Naval drills in a test strait (March 2025) · you work in it" in shown

    changed = text_of(await editor(two, "/set north_destroyers 14 by the coast guard"))
    assert "Changed north_destroyers" in changed
    fleets = await figures(two, f"/fleets {SLUG}")
    assert "Northland destroyers in the strait: 14 warships (the coast guard, per the editors" in (
        fleets
    )
    added = text_of(
        await editor(
            two, "/add airspace | Drones over the south | dozens | Radar watchers | - | -"
        )
    )
    assert "Added drones_over_the_south" in added
    assert "Drones over the south: dozens (Radar watchers, per the editors" in text_of(
        await two.say(f"/airspace {SLUG}")
    )
    refused = text_of(await editor(two, "/add fortifications | x | 1 | y"))
    assert "sections are: fleets, airspace, bottom_line, news, open" in refused
    # The shipped situation's facts are untouched by all this.
    assert "Russian troops still in Belarus: around 10k" in text_of(await two.say("/forces"))
    assert "Undid change" in text_of(await editor(two, "/undo"))

    created = text_of(await editor(two, "/situation new gulf-2026 Tension in a gulf | 2026"))
    assert "gulf-2026: Tension in a gulf (2026) · you work in it" in created
    empty = text_of(await two.say("/brief gulf-2026"))
    assert empty.startswith("📋 Tension in a gulf\n")
    assert "No cable is on record for this situation" in empty

    text_of(await editor(two, f"/situation current {SLUG}"))
    assert "Naval drills in a test strait" in text_of(await two.say("/brief"))
    refused = text_of(await editor(two, "/situation new bad_slug! x"))
    assert "a slug is 2-40 lowercase letters" in refused
    assert "Sorry, /situation is for the newsletter's editors." in text_of(
        await two.say(f"/situation current {SLUG}")
    )


async def test_a_cable_from_the_feed_is_attached_with_a_tap(
    two: RunningBot, feed: FakeFeed
) -> None:
    feed.body = fixture("bismarck-feed-v2.xml")
    assert (await two.services.publisher.poll_feed()).outcome == "new"
    await editor(two, f"/situation {SLUG}")
    cables = await editor(two, "/cables")
    assert f"Tap a cable below to attach it to {SLUG}" in text_of(cables)
    [tap, *_] = [data for data in callbacks(cables) if data.startswith("attach:")]
    attached = await two.tap(cables, tap, factories.editor())
    assert f'📎 Attached Lukashenko\'s calculus & the "second front" <analysis> to {SLUG}' in (
        text_of(attached)
    )
    sources = await two.say(f"/sources {SLUG}")
    assert "https://thebismarckcables.substack.com/p/fixture-cable-c" in sources.params["text"]
    assert "A test cable on the strait" in text_of(sources)
    latest = text_of(await two.say("/latest"))
    assert 'Lukashenko\'s calculus & the "second front" <analysis>' in latest
