"""A feed that changes wholesale: posts that moved to a new address stay the cables they
were, a poll's new cables beyond NEW_CABLES_PER_POLL wait for one editor's tap, and /publish
reads the feed's own origin only. Through the real Application, a loopback feed server and
the fake Bot API."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from bench import factories
from bench.fake_feed import FakeFeed
from briefings.rendering.telegram_html import MAX_MESSAGE_LENGTH, visible_length, visible_text
from tests.auxil.fake_telegram import Call, FakeTelegram
from tests.conftest import RunningBot, running_bot

OLD_HOST = "https://thebismarckcables.substack.com"
NEW_HOST = "https://bismarckcables.com"  # the newsletter's own domain, after the move
OTHER_EDITOR = 5550098
ASKED = "in one poll"  # the editors' question says so


@dataclass(frozen=True)
class Post:
    title: str
    link: str
    guid: str
    day: date


def post(n: int, host: str = OLD_HOST, day: date | None = None, title: str = "") -> Post:
    link = f"{host}/p/post-{n}"
    return Post(title or f"Post {n}", link, link, day or date(2024, 1, 1) + timedelta(days=n))


def rss(posts: list[Post]) -> bytes:
    """A feed in the shape of Substack's, newest first as Substack lists it."""
    items = "".join(
        f"<item><title><![CDATA[{p.title}]]></title><link>{p.link}</link>"
        f'<guid isPermaLink="false">{p.guid}</guid>'
        f"<pubDate>{format_datetime(datetime.combine(p.day, time(8), UTC))}</pubDate>"
        f"<content:encoded><![CDATA[<p>The opening of {p.title}.</p>]]></content:encoded></item>"
        for p in sorted(posts, key=lambda p: p.day, reverse=True)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>The Bismarck Cables</title><link>{OLD_HOST}</link>{items}</channel></rss>"
    ).encode()


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def questions(telegram: FakeTelegram, editor_id: int) -> list[Call]:
    return [c for c in telegram.sent(editor_id, "sendMessage")
            if ASKED in visible_text(c.params["text"])]  # fmt: skip


def button_data(call: Call) -> dict[str, str]:
    return {b["text"]: b["callback_data"]
            for row in call.params["reply_markup"]["inline_keyboard"] for b in row}  # fmt: skip


def pushes_to(telegram: FakeTelegram, chat_ids: set[int]) -> list[Call]:
    return [c for c in telegram.delivered() if int(c.params["chat_id"]) in chat_ids]


@pytest.fixture
def two_editors(make_settings: Any, feed: FakeFeed) -> Any:
    return make_settings(
        feed_url=feed.url, admin_ids=frozenset({factories.EDITOR_ID, OTHER_EDITOR})
    )


@pytest.fixture
async def bot_on_old_feed(
    two_editors: Any, telegram: FakeTelegram, feed: FakeFeed
) -> AsyncIterator[RunningBot]:
    """The bot, its first poll having recorded the 20 posts of the old host."""
    feed.body = rss([post(n) for n in range(20)])
    async with running_bot(two_editors, telegram) as bot:
        yield bot


# ---------------------------------------------------------------------- moved and many
async def test_twenty_moved_and_eighty_new_store_eighty_and_wait_for_one_editors_tap(
    bot_on_old_feed: RunningBot, telegram: FakeTelegram, feed: FakeFeed
) -> None:
    bot = bot_on_old_feed
    path = bot.services.settings.database_path
    readers = {701, 702}
    for chat_id in readers:
        await bot.services.subscribers.subscribe(chat_id, "private", None)
    # The newsletter moves to its own domain: half its posts keep their guid, the other half
    # take the new address as guid too (same title and date); and 80 posts are new, with
    # titles long enough that the list cannot be sent whole.
    moved = [replace(post(n), link=f"{NEW_HOST}/p/post-{n}") for n in range(10)] + [
        post(n, NEW_HOST) for n in range(10, 20)
    ]
    new = [
        post(n, NEW_HOST, title=f"New post {n}: " + "a long title " * 12) for n in range(100, 180)
    ]
    feed.body = rss(moved + new)

    result = await bot.services.publisher.poll_feed()
    # 100 cables from the feed in all: the 20 it had, at their new address, and 80 new.
    assert rows(path, "SELECT COUNT(*) FROM cables WHERE guid IS NOT NULL") == [(100,)]
    assert rows(
        path, f"SELECT COUNT(*) FROM cables WHERE guid IS NOT NULL AND url LIKE '{OLD_HOST}%'"
    ) == [(0,)]
    assert rows(path, "SELECT url FROM cables WHERE id = 'post-15'") == [
        (f"{NEW_HOST}/p/post-15",)
    ]
    # Stored, not queued: nobody is sent any of them without an editor.
    assert rows(path, "SELECT COUNT(*) FROM outbox") == [(0,)]
    assert rows(path, "SELECT COUNT(*) FROM cables WHERE pushed_at IS NOT NULL") == [(0,)]
    assert len(result.moved_cables) == 20 and len(result.held_cables) == 80
    assert result.new_cables == ()

    # Each editor is asked once, with the list (newest first, cut to fit) and the buttons.
    [question] = questions(telegram, factories.EDITOR_ID)
    [other_question] = questions(telegram, OTHER_EDITOR)
    text = visible_text(question.params["text"])
    assert "80 new cables in one poll" in text and "NEW_CABLES_PER_POLL" in text
    assert visible_length(question.params["text"]) <= MAX_MESSAGE_LENGTH
    assert text.index("New post 179") < text.index("New post 178")
    assert "older ones" in text and "New post 100:" not in text
    assert "to 2 subscribers (160 messages)" in text
    data = button_data(question)
    assert set(data) == {"📨 Push these 80", "Don't push"}
    # Polls after it (the feed unchanged, then re-listed) ask nothing more, push nothing.
    assert (await bot.services.publisher.poll_feed()).outcome == "unchanged"
    feed.body += b"\n"
    assert (await bot.services.publisher.poll_feed()).outcome == "nothing new"
    await bot.services.publisher.resume()
    assert len(questions(telegram, factories.EDITOR_ID)) == 1
    assert rows(path, "SELECT COUNT(*) FROM outbox") == [(0,)]

    # The tap pushes the 80, once.
    shown = replace(
        question, params={**question.params, "message_id": telegram.messages_sent_ids(question)}
    )
    answer = await bot.tap(shown, data["📨 Push these 80"], sender=factories.editor())
    assert answer.method == "editMessageText"
    assert "Pushing 80 held cables to 2 subscribers" in visible_text(answer.params["text"])
    # A second tap (a double tap, before the buttons went), and the other editor's, decide
    # nothing more.
    again = await bot.tap(shown, data["📨 Push these 80"], sender=factories.editor())
    assert "Already decided" in visible_text(again.params["text"])
    assert "by you: pushed" in visible_text(again.params["text"])
    other = await bot.tap(other_question, button_data(other_question)["Don't push"],
                          sender=factories.user(OTHER_EDITOR, "Otto"))  # fmt: skip
    assert "by another editor" in visible_text(other.params["text"])
    await telegram.wait_for(lambda: len(pushes_to(telegram, readers)) >= 160, 60)
    await bot.say("/help")
    await bot.services.worker.stop()  # its last outcomes are written
    assert len(pushes_to(telegram, readers)) == 160
    assert rows(path, "SELECT status, COUNT(*) FROM outbox GROUP BY status") == [("sent", 160)]
    # In the order they were published: the oldest new post first.
    first = visible_text(pushes_to(telegram, {701})[0].params["text"])
    assert first.split("\n\n")[1].startswith("New post 100:")


async def test_a_moved_post_is_the_same_cable_and_is_not_pushed_again(
    make_settings: Any, telegram: FakeTelegram, feed: FakeFeed
) -> None:
    feed.body = rss([post(1)])
    async with running_bot(make_settings(feed_url=feed.url), telegram) as bot:
        path = bot.services.settings.database_path
        await bot.services.subscribers.subscribe(801, "private", None)
        feed.body = rss([post(1), post(2)])  # one new post: within the limit, pushed at once
        assert (await bot.services.publisher.poll_feed()).new_cables == ("post-2",)
        await telegram.wait_for(lambda: pushes_to(telegram, {801}))

        # Both move: post 1 keeps its guid; post 2 is known by its title and date.
        moved_1 = replace(post(1), link=f"{NEW_HOST}/p/post-1")
        feed.body = rss([moved_1, post(2, NEW_HOST)])
        result = await bot.services.publisher.poll_feed()
        assert rows(path, "SELECT id, url, guid FROM cables WHERE guid IS NOT NULL"
                    " ORDER BY id") == [
            ("post-1", f"{NEW_HOST}/p/post-1", f"{OLD_HOST}/p/post-1"),
            ("post-2", f"{NEW_HOST}/p/post-2", f"{NEW_HOST}/p/post-2"),
        ]  # fmt: skip
        assert rows(path, "SELECT cable_id FROM outbox") == [("post-2",)]
        assert (result.outcome, result.moved_cables) == ("nothing new", ("post-1", "post-2"))
        reply = await bot.send(factories.editor_message(f"/publish {NEW_HOST}/p/post-2"))
        assert visible_text(reply.params["text"]).startswith("⚠️ that cable was already pushed")

        # A new post may share a title and date with one still listed where it was: it is
        # a cable of its own ("Open thread" twice a day).
        twin = Post("Post 2", f"{NEW_HOST}/p/post-2-again", f"{NEW_HOST}/p/post-2-again",
                    post(2).day)  # fmt: skip
        feed.body = rss([moved_1, post(2, NEW_HOST), twin])
        assert (await bot.services.publisher.poll_feed()).new_cables == ("post-2-again",)
        await bot.say("/help")
        await bot.settled()
        assert rows(path, "SELECT cable_id FROM outbox ORDER BY id") == [
            ("post-2",), ("post-2-again",)
        ]  # fmt: skip


async def test_a_hold_outlives_a_restart_and_the_tap_after_it_pushes_once(
    two_editors: Any, telegram: FakeTelegram, feed: FakeFeed
) -> None:
    feed.body = rss([post(1)])
    async with running_bot(two_editors, telegram) as bot:
        await bot.services.subscribers.subscribe(901, "private", None)
        feed.body = rss([post(n) for n in range(1, 6)])  # four new: one more than 3
        await bot.services.publisher.poll_feed()
        assert rows(bot.services.settings.database_path, "SELECT COUNT(*) FROM outbox") == [(0,)]
    [question] = questions(telegram, factories.EDITOR_ID)
    assert "Post 5" in visible_text(question.params["text"])

    async with running_bot(two_editors, telegram) as bot:
        await bot.services.publisher.resume()  # what every start does: nothing to ask
        assert len(questions(telegram, factories.EDITOR_ID)) == 1
        assert pushes_to(telegram, {901}) == []
        listed = await bot.send(factories.editor_message("/cables"))
        # /cables says why they wait, not that they were in the feed before the bot started.
        text = visible_text(listed.params["text"])
        assert text.count("Not pushed yet: one of 4 new cables found in one poll") == 4
        assert text.count("before the bot started") == 1  # Post 1, in the first poll
        answer = await bot.tap(question, button_data(question)["📨 Push these 4"],
                               sender=factories.editor())  # fmt: skip
        assert "Pushing 4 held cables to 1 subscriber" in visible_text(answer.params["text"])
        await telegram.wait_for(lambda: len(pushes_to(telegram, {901})) >= 4)
        other = questions(telegram, OTHER_EDITOR)[0]
        await bot.tap(other, button_data(other)["📨 Push these 4"],
                      sender=factories.user(OTHER_EDITOR, "Otto"))  # fmt: skip
        await bot.say("/help")
        await bot.settled()
        await bot.services.worker.stop()
        assert len(pushes_to(telegram, {901})) == 4
        assert rows(bot.services.settings.database_path,
                    "SELECT COUNT(*) FROM outbox") == [(4,)]  # fmt: skip


async def test_dont_push_keeps_the_cables_stored_for_publish_one_by_one(
    two_editors: Any, telegram: FakeTelegram, feed: FakeFeed
) -> None:
    feed.body = rss([post(1)])
    async with running_bot(two_editors, telegram) as bot:
        await bot.services.subscribers.subscribe(902, "private", None)
        feed.body = rss([post(n) for n in range(1, 6)])
        await bot.services.publisher.poll_feed()
        [question] = questions(telegram, factories.EDITOR_ID)
        answer = await bot.tap(question, button_data(question)["Don't push"],
                               sender=factories.editor())  # fmt: skip
        assert "Not pushed: 4 held cables" in visible_text(answer.params["text"])
        listed = visible_text((await bot.send(factories.editor_message("/cables"))).params["text"])
        assert listed.count("an editor chose not to push the 4 new cables of its poll") == 4
        reply = await bot.send(factories.editor_message(f"/publish {OLD_HOST}/p/post-3"))
        assert "Pushing Post 3 to 1 subscriber" in visible_text(reply.params["text"])
        [push] = await telegram.wait_for(lambda: pushes_to(telegram, {902}))
        assert "Post 3" in visible_text(push.params["text"])


# ---------------------------------------------------------------------- /publish's origin
@pytest.fixture
async def other_port() -> AsyncIterator[FakeFeed]:
    """Another server on the feed's host (127.0.0.1), at another port."""
    server = FakeFeed()
    await server.start()
    server.pages["/p/internal"] = b"<html><head><title>Internal admin page</title></head></html>"
    yield server
    await server.stop()


async def test_publish_reads_the_feeds_origin_only_not_another_port_of_its_host(
    make_settings: Any, telegram: FakeTelegram, feed: FakeFeed, other_port: FakeFeed
) -> None:
    async with running_bot(make_settings(feed_url=feed.url), telegram) as bot:
        editor = factories.editor_message
        elsewhere = other_port.page_url("/p/internal")
        reply = visible_text((await bot.send(editor(f"/publish {elsewhere}"))).params["text"])
        assert "127.0.0.1 is not a public address: not read" in reply
        # Nor through a redirect from the feed's own origin: each hop is checked.
        feed.redirects["/p/hop"] = elsewhere
        reply = visible_text(
            (await bot.send(editor(f"/publish {feed.page_url('/p/hop')}"))).params["text"]
        )
        assert "127.0.0.1 is not a public address: not read" in reply
        path = bot.services.settings.database_path
        assert rows(path, "SELECT COUNT(*) FROM cables WHERE title LIKE 'Internal%'") == [(0,)]
        # The feed's own origin is still read.
        feed.pages["/p/late"] = b'<html><head><meta property="og:title" content="Late"></head>'
        reply = visible_text(
            (await bot.send(editor(f"/publish {feed.page_url('/p/late')}"))).params["text"]
        )
        assert "Pushing Late" in reply
