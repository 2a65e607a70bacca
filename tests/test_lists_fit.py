"""Lists fit Telegram's limits however long what they list: /latest and /cables with a 1 MB
feed title among the newest, /cables with long addresses and /situations with many long
titles in pages turned in place (‹ Prev / Next ›), every button within Telegram's lengths."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bench import factories
from bench.fake_feed import FakeFeed, fixture
from briefings.rendering.telegram_html import MAX_MESSAGE_LENGTH, visible_length, visible_text
from tests.auxil.fake_telegram import FakeTelegram
from tests.conftest import RunningBot, running_bot

HUGE_TITLE = "Belarus " * 131_072  # 1 MB
POST = "https://thebismarckcables.substack.com/p/"


def item(n: int, title: str, slug: str) -> str:
    return (
        f"<item><title><![CDATA[{title}]]></title><link>{POST}{slug}</link>"
        f'<guid isPermaLink="false">{POST}{slug}</guid>'
        f"<pubDate>Mon, {n + 1:02d} Sep 2024 08:00:00 GMT</pubDate>"
        "<description><![CDATA[Its subtitle]]></description></item>"
    )


def feed_of(items: list[str]) -> bytes:
    head, _, _ = fixture("bismarck-feed-v1.xml").decode().partition("<item>")
    return (head + "".join(items) + "</channel></rss>").encode()


@pytest.fixture
async def listed(
    make_settings: Any, telegram: FakeTelegram, feed: FakeFeed
) -> AsyncIterator[RunningBot]:
    """A bot whose feed (read at its first poll) has a 1 MB title among the newest, and nine
    more cables, each at an address of 900 characters."""
    items = [item(n, f"Cable {n} " + "of many words " * 30, f"c{n}-" + "x" * 900)
             for n in range(1, 10)]  # fmt: skip
    items.append(item(10, HUGE_TITLE, "huge"))  # stored last: the newest
    feed.body = feed_of(items)
    async with running_bot(make_settings(feed_url=feed.url), telegram) as bot:
        yield bot


def buttons(call: Any) -> list[dict[str, Any]]:
    rows = (call.params.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button for row in rows for button in row]


def assert_fits(call: Any) -> str:
    """The message's visible text and buttons are within Telegram's limits; its text."""
    text: str = call.params["text"]
    assert visible_length(text) <= MAX_MESSAGE_LENGTH
    for button in buttons(call):
        assert len(button["text"]) <= 64
        assert len(button.get("callback_data", "").encode()) <= 64
    return visible_text(text)


async def turn(bot: RunningBot, call: Any, data: str) -> Any:
    """Tap the editor's button with data under call; the edit it makes."""
    edits = len(bot.telegram.calls_of("editMessageText"))
    await bot.tap(call, data, factories.editor())
    turned = await bot.telegram.wait_for(
        lambda: bot.telegram.calls_of("editMessageText")[edits:] or None
    )
    return turned[0]


async def test_latest_cuts_a_huge_title(listed: RunningBot) -> None:
    latest = assert_fits(await listed.say("/latest"))
    assert "Belarus Belarus" in latest and "…" in latest
    assert len(latest) < 3000


async def test_cables_turns_pages_in_place(listed: RunningBot) -> None:
    telegram = listed.telegram
    first = await listed.send(factories.editor_message("/cables"))
    shown = assert_fits(first)
    assert "Belarus Belarus" in shown and "…" in shown
    assert "page 1 of" in shown
    pages = int(shown.split("page 1 of ", 1)[1].split()[0].strip(":"))
    assert pages >= 2
    assert [b["text"] for b in buttons(first)][-1] == "Next ›"
    # Every cable is on some page, and each page is turned in the same message.
    seen = shown
    call = first
    for number in range(2, pages + 1):
        call = await turn(listed, call, f"cables:page:{number - 1}")
        page = assert_fits(call)
        assert f"page {number} of {pages}" in page
        assert "‹ Prev" in [b["text"] for b in buttons(call)]
        seen += page
    assert all(f"Cable {n} of many words" in seen for n in range(1, 10))
    assert len(telegram.sent(factories.EDITOR_ID, "sendMessage")) == 1  # turned in place


async def test_situations_come_in_pages(bot: RunningBot) -> None:
    telegram = bot.telegram
    for n in range(24):
        title = f"Situation {n}: " + "a long title of a situation " * 15
        await bot.services.situations.create(f"long-{n}", title, "September 2024")
    first = await bot.say("/situations")
    shown = assert_fits(first)
    assert "page 1 of 4" in shown and "…" in shown
    data = [b.get("callback_data") for b in buttons(first)]
    assert len(data) == 9 and data[-1] == "situations:page:1"  # eight situations, Next ›
    edits = len(telegram.calls_of("editMessageText"))
    await bot.tap(first, "situations:page:1")
    [second] = await telegram.wait_for(
        lambda: telegram.calls_of("editMessageText")[edits:] or None
    )
    page = assert_fits(second)
    assert "page 2 of 4" in page and "Situation 8: a long title" in page
    assert [b["text"] for b in buttons(second)][-2:] == ["‹ Prev", "Next ›"]


async def test_a_huge_title_is_cut_where_the_cable_is_made(listed: RunningBot) -> None:
    # Cut once, when read: every list, push and briefing naming the cable fits (/stats,
    # /sources, the held-push notice), not only those whose templates cut it.
    [newest] = await listed.services.cables.latest(1)
    assert newest.title.startswith("Belarus Belarus") and newest.title.endswith("…")
    assert len(newest.title) <= 300
    assert_fits(await listed.send(factories.editor_message("/stats")))


async def test_the_editors_situation_list_comes_in_pages(bot: RunningBot) -> None:
    # 22 situations, each at the lengths /situation new allows: more than one message.
    for n in range(22):
        slug = f"situation-{n:02d}-" + "x" * (40 - 13)
        title = (f"Situation {n} " + "title " * 30)[:118]
        await bot.services.situations.create(slug, title, "p" * 58)
    first = await bot.send(factories.editor_message("/situation"))
    shown = assert_fits(first)
    pages = int(shown.split("page 1 of ", 1)[1].split(maxsplit=1)[0].strip(":"))
    assert pages >= 2
    seen, call = shown, first
    for number in range(2, pages + 1):
        call = await turn(bot, call, f"situation:page:{number - 1}")
        page = assert_fits(call)
        assert f"page {number} of {pages}" in page
        seen += page
    assert all(f"situation-{n:02d}-" in seen for n in range(22))
    # A page the list no longer has (forged, or from a longer list) is a stale button.
    chat = factories.private_chat(factories.EDITOR_ID)
    on_message = {"message_id": int(call.params["message_id"]), "date": 0, "chat": chat}
    answered = len(bot.telegram.calls_of("answerCallbackQuery"))
    stale = factories.callback_query("situation:page:99", on_message, factories.editor())
    await bot.telegram.push_update(stale)
    [answer] = await bot.telegram.wait_for(
        lambda: bot.telegram.calls_of("answerCallbackQuery")[answered:] or None
    )
    assert "out of date" in answer.params.get("text", "")
