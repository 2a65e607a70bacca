"""`cables-bot draft`, run as a real process: on files and on a feed served on loopback."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from bench.fake_feed import FIXTURES, FakeFeed, fixture
from briefings.facts.seed import SEED_DIR
from tests.test_cli import cables_bot, cli_env

SEED_TEXT = SEED_DIR / "cable-001-belarus-troops.txt"
FIELDS = {"cable", "kind", "section", "label", "value", "voice", "who", "quote"}


async def draft(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    process = await cables_bot("draft", *args, env=cli_env(tmp_path), cwd=tmp_path)
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_draft_prints_each_files_drafts_for_review(tmp_path: Path) -> None:
    page = tmp_path / "post.html"
    page.write_bytes(fixture("web-preview-cable-001.html"))
    status, out, _ = await draft(tmp_path, str(SEED_TEXT), str(page))
    assert status == 0
    blocks = [line for line in out.splitlines() if line.startswith("== ")]
    assert len(blocks) == 2  # one block per file, in the order given
    assert blocks[0].endswith("drafts)") and SEED_TEXT.as_uri() in blocks[0]
    assert (
        "[figure] forces · Belarus’s active duty army: around 60,000 personnel (per the cable)"
        in out
    )
    assert "(most open intel analysts, per the cable)" in out
    assert "    “But Russia has barely mustered 30k to redirect towards Kursk.”" in out
    assert "[open_question] open · The open question:" in out
    # Nothing stored: no database was made.
    assert not (tmp_path / "data").exists()


async def test_draft_json_with_a_situation_makes_sides_claims(tmp_path: Path) -> None:
    status, out, _ = await draft(tmp_path, str(SEED_TEXT), "--json")
    assert status == 0
    drafts = [json.loads(line) for line in out.splitlines()]
    assert all(set(d) >= FIELDS for d in drafts)
    text = SEED_TEXT.read_text(encoding="utf-8")
    assert all(" ".join(d["quote"].split()) in " ".join(text.split()) for d in drafts)
    # Without a situation nobody is a side: Belarus's words are cited, not claimed.
    assert {d["voice"] for d in drafts if d["who"] == "Belarus"} == {"cited"}

    status, out, _ = await draft(tmp_path, str(SEED_TEXT), "--json", "--situation", "nope")
    assert status == 1
    status, out, _ = await draft(
        tmp_path, str(SEED_TEXT), "--json", "--situation", "belarus-ukraine-border-2024"
    )
    drafts = [json.loads(line) for line in out.splitlines()]
    # Drafted into its own situation, the cable restates what it has: no second copy.
    assert status == 0 and 0 < len(drafts) < 10
    assert not any(d["value"] == "barely mustered 30k" for d in drafts)


async def test_draft_reads_every_item_of_a_feed_on_loopback(tmp_path: Path) -> None:
    feed = FakeFeed()
    feed.body = fixture("bismarck-feed-v2.xml")
    await feed.start()
    try:
        status, text, _ = await draft(tmp_path, feed.url)
        status_json, out, _ = await draft(tmp_path, feed.url, "--json")
    finally:
        await feed.stop()
    assert status == status_json == 0
    assert text.count("\n== ") + text.startswith("== ") == 3  # the feed's three items
    assert "https://thebismarckcables.substack.com/p/fixture-cable-c" in text
    drafts = [json.loads(line) for line in out.splitlines()]
    assert {d["cable"] for d in drafts} == {
        f"https://thebismarckcables.substack.com/p/fixture-cable-{x}" for x in "abc"
    }
    assert any(d["kind"] == "open_question" for d in drafts)


async def test_draft_says_which_source_it_could_not_read(tmp_path: Path) -> None:
    status, out, err = await draft(
        tmp_path, str(tmp_path / "missing.html"), str(FIXTURES / "bismarck-feed-v1.xml")
    )
    assert status == 1
    assert "missing.html" in err and err.count("\n") == 1
    assert out.count("== ") == 2  # the readable feed is still drafted
