"""Editors review a new cable's drafts from the chat and publish them (issue 25), through the
real Application, the fake Bot API and a post page served on loopback."""

from __future__ import annotations

import asyncio
import html
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bench import factories
from bench.fake_feed import FakeFeed
from bot.sandbox.bot_api import Call
from briefings.facts.seed import SEED_DIR
from briefings.rendering.telegram_html import visible_text
from tests import test_seed as seed_checks
from tests.auxil.fake_telegram import FakeTelegram
from tests.conftest import RunningBot, running_bot

SECOND_EDITOR = 5550098
FIRST_CABLE = SEED_DIR / "cable-001-belarus-troops.txt"
PAGE = "/p/belarus-accumulates-troops"


def post_page(text: str) -> bytes:
    """A post page as Substack serves one: the preview's first line its title, the second its
    subtitle, every line a paragraph of the post's body (the paywall's box included)."""
    lines = text.splitlines()
    title, subtitle, body = lines[0], lines[1], lines[2:]
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in body)
    return (
        f'<html><head><meta property="og:title" content="{html.escape(title)}">'
        f'<meta property="og:description" content="{html.escape(subtitle)}"></head>'
        f'<body><nav>Home Archive</nav><div class="available-content">{paragraphs}</div>'
        "</body></html>"
    ).encode()


def second_editor() -> dict[str, Any]:
    return factories.user(SECOND_EDITOR, "Sam")


@pytest.fixture
async def reviewing(
    make_settings: Any, telegram: FakeTelegram, feed: FakeFeed
) -> AsyncIterator[RunningBot]:
    """Two editors; the first cable's preview served as a post page on the feed's host."""
    feed.pages[PAGE] = post_page(FIRST_CABLE.read_text(encoding="utf-8"))
    settings = make_settings(
        feed_url=feed.url, admin_ids=frozenset({factories.EDITOR_ID, SECOND_EDITOR})
    )
    async with running_bot(settings, telegram) as bot:
        yield bot


class Editor:
    """One editor's side of the chat: every update they send is counted."""

    def __init__(self, bot: RunningBot, user: dict[str, Any] | None = None) -> None:
        self.bot = bot
        self.user = user or factories.editor()
        self.updates = 0
        self.taps = 0

    @property
    def chat_id(self) -> int:
        return int(self.user["id"])

    async def say(self, text: str) -> Call:
        self.updates += 1
        chat = factories.private_chat(self.chat_id)
        return await self.bot.send(factories.message(text, chat=chat, sender=self.user))

    async def tap(self, call: Call, data: str) -> Call:
        self.updates += 1
        self.taps += 1
        return await self.bot.tap(call, data, self.user)

    async def tap_for_answer(self, call: Call, data: str) -> str:
        """Tap a button that answers on the button alone; the answer's text."""
        self.updates += 1
        self.taps += 1
        telegram = self.bot.telegram
        before = len(telegram.calls_of("answerCallbackQuery"))
        chat = telegram.chats.get(self.chat_id, factories.private_chat(self.chat_id))
        message_id = int(call.params.get("message_id") or telegram.messages_sent_ids(call))
        on_message = {"message_id": message_id, "date": 0, "chat": chat, "text": "…"}
        await telegram.push_update(factories.callback_query(data, on_message, self.user))
        answers = await telegram.wait_for(
            lambda: telegram.calls_of("answerCallbackQuery")[before:] or None
        )
        await self.bot.settled()  # and whatever the tap shows after its answer
        return str(answers[0].params.get("text") or "")

    async def notification(self) -> Call:
        """The message telling this editor a cable's drafts are ready."""
        telegram = self.bot.telegram
        found = await telegram.wait_for(
            lambda: [c for c in telegram.sent(self.chat_id)
                     if "Drafted from a new cable" in c.params.get("text", "")] or None,
            timeout=60,
        )  # fmt: skip
        return found[0]


def text_of(call: Call) -> str:
    return visible_text(call.params["text"])


def buttons(call: Call) -> dict[str, str]:
    return {
        b["text"]: b["callback_data"]
        for row in (call.params.get("reply_markup") or {}).get("inline_keyboard", [])
        for b in row
    }


def rows(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, params).fetchall()


async def publish_first_cable(bot: RunningBot, feed: FakeFeed, editor: Editor) -> Call:
    """/publish the served page; the editor's Review notification."""
    await editor.say(f"/publish {feed.page_url(PAGE)}")
    # Both come, in either order (the drafting runs beside the reply): wait for the two, so
    # that the next tap's first answer is the tap's own.
    telegram = bot.telegram
    await telegram.wait_for(
        lambda: any("Pushing" in text_of(c) for c in telegram.sent(editor.chat_id)) or None
    )
    return await editor.notification()


async def test_each_editor_is_told_what_a_published_cable_drafted(
    reviewing: RunningBot, feed: FakeFeed
) -> None:
    edith, sam = Editor(reviewing), Editor(reviewing, second_editor())
    told = await publish_first_cable(reviewing, feed, edith)
    path = reviewing.services.settings.database_path
    kinds = dict(rows(path, "SELECT kind, COUNT(*) FROM drafts GROUP BY kind"))
    text = text_of(told)
    assert "Cables From The Diplomatic Frontlines - Belarus accumulates troops" in text
    assert f"{kinds['figure']} figures, " in text and f"{kinds['assessment']} judgements" in text
    assert "1 news line," in text and "1 open question." in text  # one: the singular
    assert list(buttons(told)) == ["📝 Review"]
    assert text_of(await sam.notification()) == text  # each editor, the same message
    assert len([c for c in reviewing.telegram.sent(factories.EDITOR_ID)
                if "Drafted" in c.params["text"]]) == 1  # fmt: skip


async def test_review_accept_skip_edit_voice_and_stop(
    reviewing: RunningBot, feed: FakeFeed
) -> None:
    edith = Editor(reviewing)
    card = await edith.tap(
        await publish_first_cable(reviewing, feed, edith),
        "rv:r:"
        + str(
            rows(reviewing.services.settings.database_path, "SELECT MAX(rowid) FROM cables")[0][0]
        ),
    )
    raw = card.params["text"]
    # The subtitle, as readers would get it, and the cable's words underlined in its sentence.
    assert "draft 1 of" in text_of(card) and "Bottom line · per the cable" in text_of(card)
    assert "Readers would see:\n• Belarus accumulates troops: optics vs actual potential" in (
        text_of(card)
    )
    assert "<u>Belarus accumulates troops: optics vs actual potential threat.</u>" in raw
    assert set(buttons(card)) == {"✅ Accept", "✏️ Edit", "🗣 Voice", "⏭ Skip", "⏹ Stop"}

    card = await edith.tap(card, buttons(card)["✅ Accept"])  # the subtitle
    assert "draft 2 of" in text_of(card) and "· 1 accepted" in text_of(card)
    card = await edith.tap(card, buttons(card)["⏭ Skip"])  # the news
    assert "draft 3 of" in text_of(card)
    assert "Long Ukraine border: 674" in text_of(card)
    assert "674- long Ukraine border" in raw_underlined(card)

    # Edit: the next message is the new label, the card shown again in place.
    editing = await edith.tap(card, buttons(card)["✏️ Edit"])
    assert "Send the new value" in text_of(editing)
    shown = await edith.say("label: Length of the Ukraine border")
    assert (
        shown.method == "editMessageText"
        and shown.params["message_id"] == (card.params["message_id"])
    )
    assert "• Length of the Ukraine border: 674" in text_of(shown)
    # A typed value is the editors': shown as theirs, as readers would see it.
    await edith.tap(shown, buttons(shown)["✏️ Edit"])
    shown = await edith.say("~700 km")
    assert "• Length of the Ukraine border: about 700 km (per the editors" in text_of(shown)
    card = await edith.tap(shown, buttons(shown)["✅ Accept"])

    # Voice: Belarus's words, cited (no side in a new situation), or the editors'; never
    # the cable's, for the sentence gives them as Belarus's.
    assert "approximately 20,000 troops" in text_of(card)
    assert "per the cable" in text_of(card) and "Belarus, per the cable" in text_of(card)
    card = await edith.tap(card, buttons(card)["🗣 Voice"])
    assert "per the editors" in text_of(card) and "Belarus, per the cable" not in text_of(card)
    card = await edith.tap(card, buttons(card)["🗣 Voice"])
    assert "Belarus, per the cable" in text_of(card)

    summary = await edith.tap(card, buttons(card)["⏹ Stop"])
    assert "2 drafts accepted, 1 skipped" in text_of(summary)
    assert "Into: a new situation made from this cable" in text_of(summary)
    assert {"📣 Publish 2", "📂 Into another situation"} <= set(buttons(summary))
    # Every tap answered, once.
    assert len(reviewing.telegram.calls_of("answerCallbackQuery")) == edith.taps == 9
    path = reviewing.services.settings.database_path
    assert rows(path, "SELECT status, COUNT(*) FROM drafts GROUP BY status ORDER BY 1")[:2] == [
        ("accepted", 2), ("skipped", 1)]  # fmt: skip


async def choose_situation(editor: Editor, summary: Call, title: str) -> Call:
    """From a review's summary, send its drafts into the situation with this title; the
    summary shown again."""
    choices = await editor.tap(summary, buttons(summary)["📂 Into another situation"])
    return await editor.tap(choices, buttons(choices)[f"📂 {title}"])


def raw_underlined(call: Call) -> str:
    raw = str(call.params["text"])
    return html.unescape(raw.split("<u>", 1)[1].split("</u>", 1)[0])


async def test_two_editors_never_accept_one_draft_twice(
    reviewing: RunningBot, feed: FakeFeed
) -> None:
    edith, sam = Editor(reviewing), Editor(reviewing, second_editor())
    told = await publish_first_cable(reviewing, feed, edith)
    review = buttons(told)["📝 Review"]
    hers = await edith.tap(told, review)
    his = await sam.tap(await sam.notification(), review)
    accept = buttons(hers)["✅ Accept"]
    assert buttons(his)["✅ Accept"] == accept  # both on the first draft

    await edith.tap(hers, accept)
    answer = await sam.tap_for_answer(his, accept)
    assert answer == "Another editor decided that draft already: here is the next."
    moved_on = reviewing.telegram.sent(SECOND_EDITOR)[-1]
    assert "draft 2 of" in text_of(moved_on)
    path = reviewing.services.settings.database_path
    assert rows(path, "SELECT position, decided_by FROM drafts WHERE status = 'accepted'") == [
        (0, factories.EDITOR_ID)]  # fmt: skip


async def test_a_draft_whose_situation_was_removed_is_refused(
    reviewing: RunningBot, feed: FakeFeed
) -> None:
    edith = Editor(reviewing)
    await edith.say("/situation new gone-2025 A situation removed later")
    told = await publish_first_cable(reviewing, feed, edith)
    card = await edith.tap(told, buttons(told)["📝 Review"])
    summary = await edith.tap(card, buttons(card)["⏹ Stop"])
    summary = await choose_situation(edith, summary, "A situation removed later")
    assert "Into: gone-2025 (A situation removed later)" in text_of(summary)
    card = await edith.tap(summary, buttons(summary)[next(
        b for b in buttons(summary) if b.startswith("📝 Review"))])  # fmt: skip
    path = reviewing.services.settings.database_path

    def remove() -> None:  # behind the bot's back, off the event loop (it may hold the writer)
        with sqlite3.connect(path, timeout=30) as conn:
            conn.execute("DELETE FROM situation_sections WHERE situation_id = 'gone-2025'")
            conn.execute("DELETE FROM situations WHERE id = 'gone-2025'")

    await asyncio.to_thread(remove)

    answer = await edith.tap_for_answer(card, buttons(card)["✅ Accept"])
    assert answer == (
        "Refused: the situation these drafts go into, gone-2025, was removed. "
        "Stop, then choose another."
    )
    assert rows(path, "SELECT COUNT(*) FROM drafts WHERE status != 'waiting'") == [(0,)]
    summary = await edith.tap(card, buttons(card)["⏹ Stop"])
    assert "gone-2025, which was removed: choose another" in text_of(summary)


async def test_an_editor_briefs_the_first_cable_from_nothing(
    reviewing: RunningBot, feed: FakeFeed
) -> None:
    edith = Editor(reviewing)
    told = await publish_first_cable(reviewing, feed, edith)
    card = await edith.tap(told, buttons(told)["📝 Review"])
    # The editor reads the first drafts one by one, leaves out the border's length (the
    # cable gives it no unit), then accepts the rest.
    while "draft 9 of" not in text_of(card):
        choice = "⏭ Skip" if "674" in text_of(card).split("The cable:")[0] else "✅ Accept"
        card = await edith.tap(card, buttons(card)[choice])
    summary = await edith.tap(card, buttons(card)["⏹ Stop"])
    summary = await edith.tap(
        summary,
        next(
            data for label, data in buttons(summary).items() if label.startswith("✅ Accept the")
        ),
    )
    assert " 0 waiting" in text_of(summary)
    slug = "cables-from-the-diplomatic-frontlines"

    # Readers see nothing before Publish: no new situation, no statement.
    path = reviewing.services.settings.database_path
    seed_facts = rows(path, "SELECT COUNT(*) FROM facts")
    assert slug not in text_of(await reviewing.say("/situations"))
    before = text_of(await reviewing.say("/brief"))

    published = await edith.tap(
        summary,
        next(data for label, data in buttons(summary).items() if label.startswith("📣 Publish")),
    )
    assert edith.updates <= 25, edith.updates
    count = rows(path, "SELECT COUNT(*) FROM drafts WHERE status = 'published'")[0][0]
    assert f"Published {count} statements" in text_of(published)
    assert f"/brief {slug}" in text_of(published)

    # Everything after: the brief and the sections of the new situation, at once.
    brief = text_of(await reviewing.say(f"/brief {slug}"))
    assert "Belarus accumulates troops: optics vs actual potential threat." in brief
    forces = text_of(await reviewing.say(f"/forces {slug}"))
    assert "around 60,000 personnel" in forces and "most open intel analysts" in forces
    assert "674" not in forces  # skipped
    assert text_of(await reviewing.say("/brief")) == before  # the default is as it was
    items = published_items(path, slug)
    assert len(items) == count
    # What was published passes the seed's own checks: its voices and the cable's words.
    for item in items:
        seed_checks.test_every_statement_rests_on_the_cables_own_words(item)
        seed_checks.test_words_in_quotation_marks_are_the_cables(item)
        if item["kind"] == "fact":
            seed_checks.test_every_fact_has_one_voice(item)
    assert recovered(items) >= 0.8

    # One change in /history; one /undo reverts it all.
    history = text_of(await edith.say("/history"))
    assert f"drafts published: {count} statements at once (one change)" in history
    assert history.count("\n#") == 1  # one entry
    undone = text_of(await edith.say("/undo"))
    assert "Undid change #" in undone and f"its {count} statements" in undone
    assert published_items(path, slug) == []
    # (Above the brief, "Since you last looked" says what the editors took out.)
    brief = text_of(await reviewing.say(f"/brief {slug}")).split("📋", 1)[1]
    assert "optics vs actual potential threat" not in brief
    assert rows(path, "SELECT COUNT(*) FROM facts WHERE situation_id != ?", (slug,)) == (
        seed_facts
    )
    # The drafts it had published are back in the review, accepted, to publish again.
    assert rows(path, "SELECT status, COUNT(*) FROM drafts WHERE status != 'skipped'"
                " GROUP BY status") == [("accepted", count)]  # fmt: skip
    assert f"{count} accepted" in text_of(await edith.say("/drafts"))


def published_items(path: Path, slug: str) -> list[dict[str, Any]]:
    """The situation's live statements, in the seed's shape (tests/test_seed.py)."""
    found = []
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        for row in conn.execute(
            "SELECT * FROM facts WHERE situation_id = ? AND retired_at IS NULL", (slug,)
        ):
            item = {"kind": "fact", "key": row["key"], "label": row["label"],
                    "value": row["value_given"] or row["value_text"], "voice": row["voice"],
                    "quote": row["quote"]}  # fmt: skip
            if row["voice"] == "cited":
                item["claimant"] = row["claimant"]
            found.append(item)
        for row in conn.execute(
            "SELECT * FROM claims WHERE situation_id = ? AND retired_at IS NULL", (slug,)
        ):
            found.append({"kind": "claim", "key": row["key"], "claim": row["claim"],
                          "claimant": row["claimant"], "quote": row["quote"]})  # fmt: skip
    return found


def recovered(items: list[dict[str, Any]]) -> float:
    """The share of the seed's statements whose quote span overlaps a published one's."""

    def span(quote: str) -> tuple[int, int]:
        start = seed_checks.CABLE.find(seed_checks.flat(quote))
        return start, start + len(seed_checks.flat(quote))

    spans = [span(item["quote"]) for item in items if item.get("quote")]
    hits = 0
    for statement in seed_checks.STATEMENTS:
        start, end = span(statement["quote"])
        hits += any(a < end and start < b for a, b in spans)
    return hits / len(seed_checks.STATEMENTS)


async def test_a_reader_is_answered_while_a_400_kb_post_drafts(
    reviewing: RunningBot, feed: FakeFeed
) -> None:
    text = FIRST_CABLE.read_text(encoding="utf-8")
    head, body = text.split("\n", 2)[:2], text.split("\n", 2)[2]
    long_text = "\n".join([*head, *[body.split("\nKeep reading")[0]] * 135])
    feed.pages["/p/long-post"] = post_page(long_text)
    assert len(feed.pages["/p/long-post"]) > 400_000
    edith = Editor(reviewing)
    await edith.say(f"/publish {feed.page_url('/p/long-post')}")
    reply = await reviewing.say("/brief")  # while the post drafts
    told = await edith.notification()
    calls = reviewing.telegram.calls
    assert calls.index(reply) < calls.index(told)  # answered before the drafts were ready
    assert "Drafted from a new cable" in text_of(told)


async def test_drafts_published_into_another_situation_keep_their_cables_source(
    reviewing: RunningBot, feed: FakeFeed
) -> None:
    edith = Editor(reviewing)
    await edith.say("/situation new strait-2025 Another situation")
    told = await publish_first_cable(reviewing, feed, edith)

    async def publish_next_draft_into(card: Call, situation: str) -> None:
        card = await edith.tap(card, buttons(card)["✅ Accept"])
        summary = await edith.tap(card, buttons(card)["⏹ Stop"])
        summary = await choose_situation(edith, summary, situation)
        published = await edith.tap(summary, buttons(summary)["📣 Publish 1"])
        assert "Published 1 statement" in text_of(published)

    # The first draft goes into the other situation, which the cable is then attached to;
    # the next into the situation readers get by default.
    await publish_next_draft_into(await edith.tap(told, buttons(told)["📝 Review"]),
                                  "Another situation")  # fmt: skip
    listed = await edith.say("/drafts")
    [review] = buttons(listed).values()
    default = (await reviewing.services.situations.current()).title
    await publish_next_draft_into(await edith.tap(listed, review), default)

    path = reviewing.services.settings.database_path
    [(cable_id, title, attached)] = rows(
        path,
        "SELECT id, title, situation_id FROM cables WHERE id IN (SELECT cable_id FROM drafts)",
    )
    assert attached == "strait-2025"
    assert (cable_id,) in rows(
        path, "SELECT source_cable_id FROM facts WHERE situation_id != 'strait-2025'"
    ) + rows(path, "SELECT source_cable_id FROM claims WHERE situation_id != 'strait-2025'")
    # Readers of the default situation are told where it comes from: the cable, by its title.
    assert title in text_of(await reviewing.say("/sources"))
