"""`cables-bot render feed`, run as a real process: every item of the shipped feed fixtures
as the push the bot would send, checked as Telegram and a reader would take it."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest

from bench.fake_feed import FIXTURES, FakeFeed, fixture
from briefings.cables.readable import repeats
from briefings.rendering.telegram_html import (
    MAX_ENTITIES,
    button_url_problem,
    entity_count,
    visible_text,
)
from tests.telegram_html_check import check_html
from tests.test_cli import cables_bot, cli_env

FEEDS = sorted(path.name for path in FIXTURES.glob("*.xml"))
FIELDS = {"feed", "link", "title", "subtitle", "teaser", "text", "buttons", "held"}
# Markup shown as text: a tag of HTML, or what a player shows where it cannot play.
SHOWN_MARKUP = re.compile(
    r"</?(?:a|p|div|span|b|i|em|strong|img|iframe|figure|figcaption|li|ul|ol|h[1-6]|br)\b"
    r"|&(?:amp|lt|gt|quot|#\d+);|browser does not support",
    re.IGNORECASE,
)


async def render_feed(tmp_path: Path, *args: str, **env: str) -> tuple[int, str, str]:
    process = await cables_bot(
        "render", "feed", *args, env=cli_env(tmp_path, None, **env), cwd=tmp_path
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def pushes(tmp_path: Path, *sources: str) -> list[dict[str, Any]]:
    status, out, err = await render_feed(tmp_path, *sources, "--json")
    assert status == 0, err
    return [json.loads(line) for line in out.splitlines()]


@pytest.mark.parametrize("name", FEEDS)
async def test_every_item_of_the_shipped_feeds_renders_as_readers_should_get_it(
    tmp_path: Path, name: str
) -> None:
    found = await pushes(tmp_path, str(FIXTURES / name))
    assert found, name
    for push in found:
        assert set(push) >= FIELDS
        text, teaser, where = push["text"], push["teaser"], f"{name}: {push['link']}"
        check_html(text)  # Telegram's HTML, and within its 4,096 characters
        assert entity_count(text) <= MAX_ENTITIES, where
        assert not SHOWN_MARKUP.search(visible_text(text)), where
        assert teaser, where  # every post of the fixtures has prose
        assert not push["subtitle"] or not repeats(push["subtitle"], teaser), where
        last = teaser.split("\n\n")[-1]
        assert not re.fullmatch(r"<b>[^<]*(?:<(?!/?b>)[^<]*)*</b>", last), where  # a heading
        assert [b["text"] for b in push["buttons"]] == ["Read the cable", "Start 7-day free trial"]
        for button in push["buttons"]:
            assert button_url_problem(button["url"]) is None, where
            assert "utm_source=telegram&utm_medium=bot&utm_campaign=" in button["url"]
        assert push["held"] is None, where


async def test_substacks_shapes_read_as_their_page_shows_them(tmp_path: Path) -> None:
    found = {
        p["link"].rsplit("/", 1)[-1]: p
        for p in await pushes(tmp_path, str(FIXTURES / "substack-shapes.xml"))
    }
    shown = {slug: visible_text(p["teaser"]) for slug, p in found.items()}
    assert shown["a-list-opening"].startswith("• Three things to watch")
    assert found["a-list-opening"]["subtitle"] is None  # the list's words again
    assert found["a-trimmed-summary"]["subtitle"] is None  # "… Read More Here →"
    assert (
        shown["an-embed-first"]
        == "Watch the columns in the video above. They move at night.\n\nThey are not alone."
    )
    assert shown["a-figure-first"].startswith("The pictures above were taken on Tuesday.")
    assert "The northern front" not in shown["a-stranded-subhead"]
    assert shown["a-paid-post"].endswith("• The fuel depots.")
    assert "The rest is for subscribers" in visible_text(found["a-paid-post"]["text"])


async def test_render_feed_reads_addresses_and_files_in_one_run(tmp_path: Path) -> None:
    feed = FakeFeed()
    feed.body = fixture("bismarck-feed-v2.xml")
    await feed.start()
    try:
        status, out, err = await render_feed(
            tmp_path, feed.url, str(FIXTURES / "bismarck-feed-v1.xml"), str(tmp_path / "nope.xml")
        )
    finally:
        await feed.stop()
    assert status == 1 and "nope.xml" in err and err.count("\n") == 1
    blocks = [b for b in out.split("\n\n== ") if b.strip()]
    assert len(blocks) == 5  # three items of the address's feed, two of the file's
    assert out.startswith(
        f"== {feed.url} · https://thebismarckcables.substack.com/p/fixture-cable-c"
    )
    assert "<b>" not in out and "&amp;" not in out  # as a reader reads it
    assert 'Lukashenko\'s calculus & the "second front" <analysis>' in out
    assert (
        "[Read the cable] https://thebismarckcables.substack.com/p/fixture-cable-c"
        "?utm_source=telegram&utm_medium=bot&utm_campaign=fixture-cable-c"
    ) in out
    # The file's items were the address's too: stored once, never pushed twice.
    assert out.count("held: listed before in this run") == 2
    assert not (tmp_path / "data").exists()  # the bot's own database is never opened


async def test_a_push_that_would_be_held_says_why(tmp_path: Path) -> None:
    body = fixture("bismarck-feed-v1.xml").replace(
        b"https://thebismarckcables.substack.com/p/fixture-cable-a</link>",
        b"http://intranet/p/fixture-cable-a</link>",
    )
    source = tmp_path / "feed.xml"
    source.write_bytes(body)
    found = {p["link"]: p for p in await pushes(tmp_path, str(source))}
    held = found["http://intranet/p/fixture-cable-a"]["held"]
    assert held.startswith("the “Read the cable” button: the link's host 'intranet'")
    status, out, _ = await render_feed(tmp_path, str(source))
    assert status == 0 and "\nheld: the “Read the cable” button" in out
    # Taken as new in one poll, more than NEW_CABLES_PER_POLL wait for an editor's tap.
    status, out, _ = await render_feed(tmp_path, str(source), "--json", "--all-new",
                                       NEW_CABLES_PER_POLL="1")  # fmt: skip
    helds = [json.loads(line)["held"] for line in out.splitlines()]
    assert "2 new cables in one poll, more than NEW_CABLES_PER_POLL (1)" in helds[0]
