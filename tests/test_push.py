"""Subscriptions, feed polling and delivery, through the real Application, a loopback feed
server and the fake Bot API."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from bench import factories
from bench.fake_feed import FakeFeed, fixture
from bench.storage import publisher_on
from bot.settings import Settings
from briefings.rendering.telegram_html import visible_text
from tests.auxil.fake_telegram import BOT_ID, FakeTelegram
from tests.conftest import RunningBot, running_bot, start_bot, stop_bot

TRIAL = "https://thebismarckcables.substack.com/subscribe?coupon=tg7"
NEW_CABLE = "https://thebismarckcables.substack.com/p/fixture-cable-c"


@pytest.fixture
async def pushing_bot(
    make_settings: Any, telegram: FakeTelegram, feed: FakeFeed
) -> AsyncIterator[RunningBot]:
    """A bot polling the loopback feed, its first poll (the priming one) done."""
    async with running_bot(make_settings(feed_url=feed.url), telegram) as bot:
        yield bot


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


async def add_subscribers(bot: RunningBot, chat_ids: range | list[int]) -> None:
    for chat_id in chat_ids:
        await bot.services.subscribers.subscribe(chat_id, "private", f"Reader {chat_id}")


async def publish_new_cable(bot: RunningBot, feed: FakeFeed) -> Any:
    feed.body = fixture("bismarck-feed-v2.xml")
    return await bot.services.publisher.poll_feed()


def buttons(call: Any) -> dict[str, str]:
    return {b["text"]: b["url"] for row in call.params["reply_markup"]["inline_keyboard"]
            for b in row}  # fmt: skip


# ---------------------------------------------------------------------- subscribing
async def test_subscribe_status_unsubscribe(bot: RunningBot) -> None:
    assert "Not subscribed" in visible_text((await bot.say("/status")).params["text"])
    assert "✅ Subscribed" in visible_text((await bot.say("/subscribe")).params["text"])
    assert "already subscribed" in visible_text((await bot.say("/subscribe")).params["text"])
    status = visible_text((await bot.say("/status")).params["text"])
    assert "Subscribed to new cables of The Bismarck Cables since" in status
    assert "Daily briefing: off" in status
    assert "Unsubscribed" in visible_text((await bot.say("/unsubscribe")).params["text"])
    assert "not subscribed" in visible_text((await bot.say("/unsubscribe")).params["text"])


async def test_the_subscribe_deep_link_subscribes_in_one_tap(bot: RunningBot) -> None:
    reply = await bot.say("/start subscribe")
    assert "✅ Subscribed" in visible_text(reply.params["text"])
    assert (await bot.services.subscribers.get(factories.READER_ID)) is not None


async def test_in_groups_only_administrators_subscribe(bot: RunningBot) -> None:
    group = factories.group_chat()
    member = factories.user(777, "Member")
    reply = await bot.send(factories.message("/subscribe", chat=group, sender=member))
    assert "Only the group's administrators" in visible_text(reply.params["text"])
    assert await bot.services.subscribers.get(group["id"]) is None

    bot.telegram.admins[group["id"]] = {778}
    admin = factories.user(778, "Admin")
    reply = await bot.send(factories.message("/subscribe", chat=group, sender=admin))
    assert "this group will get each new cable" in visible_text(reply.params["text"])
    subscriber = await bot.services.subscribers.get(group["id"])
    assert subscriber is not None and subscriber.active and subscriber.chat_type == "supergroup"


def member_update(chat: dict[str, Any], status: str) -> dict[str, Any]:
    me = {"id": BOT_ID, "is_bot": True, "first_name": "Cables Test"}
    new: dict[str, Any] = {"status": status, "user": me}
    if status == "kicked":
        new["until_date"] = 0
    return {
        "my_chat_member": {
            "chat": chat, "from": factories.user(), "date": int(time.time()),
            "old_chat_member": {"status": "member", "user": me}, "new_chat_member": new,
        }
    }  # fmt: skip


async def test_a_chat_that_blocks_the_bot_is_paused_until_it_returns(bot: RunningBot) -> None:
    await bot.say("/subscribe")
    await bot.telegram.push_update(member_update(factories.private_chat(), "kicked"))
    await bot.say("/help")  # the same chat's: handled after the membership update
    assert not (await bot.services.subscribers.get(factories.READER_ID)).active  # type: ignore[union-attr]
    assert "paused" in visible_text((await bot.say("/status")).params["text"])
    await bot.say("/start")  # unblocking the bot in Telegram means pressing Start
    assert (await bot.services.subscribers.get(factories.READER_ID)).active  # type: ignore[union-attr]


async def test_a_group_that_removes_the_bot_is_marked_inactive(bot: RunningBot) -> None:
    group = factories.group_chat()
    await bot.services.subscribers.subscribe(group["id"], "supergroup", "Analysts")
    await bot.telegram.push_update(member_update(group, "left"))
    await bot.say("/help")  # another chat's: taken after the group's update...
    await bot.settled()  # ...which is handled by now
    assert not (await bot.services.subscribers.get(group["id"])).active  # type: ignore[union-attr]


# ---------------------------------------------------------------------- the feed
async def test_first_poll_records_the_back_catalogue_without_pushing(
    pushing_bot: RunningBot, settings: Settings, feed: FakeFeed
) -> None:
    await add_subscribers(pushing_bot, [1, 2])
    stored = rows(
        pushing_bot.services.settings.database_path,
        "SELECT id, origin, pushed_at FROM cables WHERE guid IS NOT NULL ORDER BY id",
    )
    assert stored == [("fixture-cable-a", "backlog", None), ("fixture-cable-b", "backlog", None)]
    # Second and third polls of the same feed: a 304 each, and nothing sent.
    for expected_304s in (1, 2):
        result = await pushing_bot.services.publisher.poll_feed()
        assert result.outcome == "unchanged"
        assert feed.not_modified == expected_304s
    assert pushing_bot.telegram.sent() == []


async def test_a_new_cable_reaches_each_subscriber_once_with_both_buttons(
    pushing_bot: RunningBot, feed: FakeFeed
) -> None:
    await add_subscribers(pushing_bot, range(1, 21))
    result = await publish_new_cable(pushing_bot, feed)
    assert result.outcome == "new" and result.new_cables == ("fixture-cable-c",)
    telegram = pushing_bot.telegram

    def to_readers() -> list[Any]:  # the editor is told of the cable's drafts besides
        return [c for c in telegram.delivered() if int(c.params["chat_id"]) in range(1, 21)]

    delivered = await telegram.wait_for(lambda: to_readers() if len(to_readers()) >= 20 else None)
    assert sorted(int(c.params["chat_id"]) for c in delivered) == list(range(1, 21))

    push = delivered[0]
    text = visible_text(push.params["text"])
    assert 'Lukashenko\'s calculus & the "second front" <analysis>' in text
    assert "troops & tanks <massed> at the border" in text
    assert "Read more" not in text
    assert "start a 7-day free trial" in text
    links = buttons(push)
    utm = "utm_source=telegram&utm_medium=bot&utm_campaign=fixture-cable-c"
    assert links["Read the cable"] == f"{NEW_CABLE}?{utm}"
    trial = urlsplit(links["Start 7-day free trial"])
    assert trial.netloc == "thebismarckcables.substack.com" and trial.path == "/subscribe"
    assert parse_qs(trial.query) == {
        "coupon": ["tg7"], "utm_source": ["telegram"], "utm_medium": ["bot"],
        "utm_campaign": ["fixture-cable-c"],
    }  # fmt: skip

    # Polls after it send nothing more: the same feed is a 304, an edited item is not new.
    assert (await pushing_bot.services.publisher.poll_feed()).outcome == "unchanged"
    feed.body = feed.body.replace(b"Tue, 10 Sep 2024", b"Wed, 11 Sep 2024").replace(
        b"second front", b"second front (updated)"
    )
    assert (await pushing_bot.services.publisher.poll_feed()).outcome == "nothing new"
    await pushing_bot.say("/help")
    # The 20 pushes, the editor's message about the cable's drafts, and the /help reply.
    assert len(telegram.delivered()) == 20 + 1 + 1


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ({"status": 500}, "HTTP 500"),
        (
            {"body": b"<html><body>Sorry, we are down</body></html>", "content_type": "text/html"},
            "not a feed",
        ),
        ({"body": b"\x00garbage\xff"}, "not a feed"),
        ({"body": fixture("bismarck-feed-v2.xml")[:1500]}, "malformed feed"),
    ],
)
async def test_a_bad_feed_is_logged_and_retried_and_pushes_nothing(
    pushing_bot: RunningBot, feed: FakeFeed, fault: dict[str, Any], expected: str
) -> None:
    await add_subscribers(pushing_bot, [1])
    for name, value in fault.items():
        setattr(feed, name, value)
    result = await pushing_bot.services.publisher.poll_feed()
    assert result.outcome == "error" and expected in (result.error or "")
    assert rows(pushing_bot.services.settings.database_path,
                "SELECT COUNT(*) FROM outbox") == [(0,)]  # fmt: skip
    # The next poll, with the feed back, pushes the new cable.
    feed.status, feed.content_type = 200, "application/rss+xml"
    assert (await publish_new_cable(pushing_bot, feed)).outcome == "new"
    telegram = pushing_bot.telegram
    await telegram.wait_for(lambda: telegram.delivered())


async def test_a_slow_feed_times_out_without_harm(pushing_bot: RunningBot, feed: FakeFeed) -> None:
    import httpx

    publisher = publisher_on(pushing_bot.services.db, feed.url, httpx.AsyncClient(timeout=0.2))
    feed.body, feed.delay = fixture("bismarck-feed-v2.xml"), 1.0
    try:
        result = await publisher.poll_feed()
    finally:
        await publisher.ingest.close()
    assert result.outcome == "error" and "Timeout" in (result.error or "")
    assert rows(pushing_bot.services.settings.database_path,
                "SELECT COUNT(*) FROM cables WHERE guid LIKE '%cable-c'") == [(0,)]  # fmt: skip


async def test_the_feed_job_is_scheduled_once_at_the_configured_interval(
    pushing_bot: RunningBot,
) -> None:
    assert pushing_bot.app.job_queue is not None
    jobs = pushing_bot.app.job_queue.get_jobs_by_name("feed-poll")
    assert len(jobs) == 1
    # APScheduler types a job's trigger as BaseTrigger; the interval is IntervalTrigger's.
    assert jobs[0].trigger.interval.total_seconds() == 300  # type: ignore[attr-defined]


# ---------------------------------------------------------------------- delivery faults
async def test_faults_are_retried_and_blocks_mark_the_chat_inactive(
    pushing_bot: RunningBot, feed: FakeFeed
) -> None:
    telegram = pushing_bot.telegram
    worker = pushing_bot.services.worker
    worker.backoff_base = 0.05  # retry fast in the test; the policy is the same
    await add_subscribers(pushing_bot, [11, 12, 13, 14])
    telegram.blocked = {12}
    subscribers = frozenset({11, 12, 13, 14})  # not the editors, whom drafts are told of
    telegram.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1,
                       chats=subscribers)  # fmt: skip
    telegram.fail_next("sendMessage", 502, "Bad Gateway", times=2, chats=subscribers)
    await publish_new_cable(pushing_bot, feed)

    def tried() -> list[Any]:
        return [c for c in telegram.calls_of("sendMessage")
                if int(c.params["chat_id"]) in subscribers]  # fmt: skip

    # Every chat is tried once, and once more for each fault it met; the blocked chat is not
    # tried again. Three deliveries alone could come before the blocked chat's last try.
    await telegram.wait_for(lambda: len(tried()) >= len(subscribers) + 3 or None)
    delivered = [c for c in tried() if c.params.get("_accepted")]
    assert sorted(int(c.params["chat_id"]) for c in delivered) == [11, 13, 14]
    path = pushing_bot.services.settings.database_path

    def outbox() -> list[tuple[Any, ...]]:
        return rows(path, "SELECT chat_id, status FROM outbox ORDER BY chat_id")

    await pushing_bot.say("/help")
    await worker.stop()  # let it write its last outcomes
    assert outbox() == [(11, "sent"), (12, "blocked"), (13, "sent"), (14, "sent")]
    assert rows(path, "SELECT chat_id FROM subscribers WHERE blocked = 1") == [(12,)]


async def test_a_chat_that_keeps_failing_is_marked_failed_with_the_reason(
    pushing_bot: RunningBot, feed: FakeFeed
) -> None:
    telegram = pushing_bot.telegram
    worker = pushing_bot.services.worker
    worker.backoff_base = 0.01
    await add_subscribers(pushing_bot, [21])
    telegram.fail_next(
        "sendMessage", 500, "Internal Server Error", times=10, chats=frozenset({21})
    )
    await publish_new_cable(pushing_bot, feed)
    await telegram.wait_for(lambda: len(telegram.sent(21, "sendMessage")) >= worker.max_attempts)
    await worker.stop()
    [(status, attempts, error)] = rows(
        pushing_bot.services.settings.database_path,
        "SELECT status, attempts, last_error FROM outbox",
    )
    assert (status, attempts) == ("failed", worker.max_attempts)
    assert "Internal Server Error" in error


# ---------------------------------------------------------------------- for editors
async def test_one_cable_one_push_however_it_was_linked(
    pushing_bot: RunningBot, feed: FakeFeed
) -> None:
    telegram = pushing_bot.telegram
    await add_subscribers(pushing_bot, [41])
    editor = factories.editor_message
    feed.body = fixture("bismarck-feed-v2.xml")  # the new cable is in the feed already
    shared = f"{NEW_CABLE}/?r=2abc&utm_campaign=post&utm_medium=web#footnote-1"
    reply = await pushing_bot.send(editor(f"/publish {shared}"))
    assert "Pushing" in visible_text(reply.params["text"])
    await pushing_bot.services.drafting.settled()  # the editor told of its drafts
    # The feed's own item, polled next, is the same cable: no second push.
    assert (await pushing_bot.services.publisher.poll_feed()).new_cables == ()
    again = await pushing_bot.send(
        editor(f"/publish {NEW_CABLE.replace('https://', 'http://www.')}")
    )
    assert visible_text(again.params["text"]).startswith("⚠️ that cable was already pushed")
    await telegram.wait_for(lambda: [c for c in telegram.delivered()
                                     if int(c.params["chat_id"]) == 41] or None)  # fmt: skip
    path = pushing_bot.services.settings.database_path
    assert rows(path, "SELECT COUNT(*) FROM outbox WHERE chat_id = 41") == [(1,)]
    assert rows(path, "SELECT COUNT(*) FROM cables WHERE url LIKE '%fixture-cable-c%'") == [(1,)]


async def test_editors_see_progress_preview_and_publish_by_hand(
    pushing_bot: RunningBot, feed: FakeFeed
) -> None:
    telegram = pushing_bot.telegram
    await add_subscribers(pushing_bot, [31, 32])
    editor = factories.editor_message
    listing = visible_text((await pushing_bot.send(editor("/cables"))).params["text"])
    assert "Not pushed (in the feed before the bot started)" in listing
    assert "Feed: last poll" in listing and "primed" in listing

    backlog = "https://thebismarckcables.substack.com/p/fixture-cable-a"
    reply = await pushing_bot.send(editor(f"/publish {backlog}"))
    assert "Pushing Fixture cable A: a paid post to 2 subscribers" in visible_text(
        reply.params["text"]
    )
    await telegram.wait_for(
        lambda: {31, 32} <= {int(c.params["chat_id"]) for c in telegram.delivered()}
    )
    again = visible_text((await pushing_bot.send(editor(f"/publish {backlog}"))).params["text"])
    assert again.startswith("⚠️ that cable was already pushed")

    await pushing_bot.services.worker.stop()
    listing = visible_text((await pushing_bot.send(editor("/cables"))).params["text"])
    assert "Delivery: 2 sent, 0 pending, 0 failed, 0 blocked" in listing

    before = len(telegram.delivered())
    await pushing_bot.send(editor("/preview"))
    preview = await telegram.wait_for(lambda: telegram.delivered()[before + 1 :] or None)
    assert int(preview[0].params["chat_id"]) == factories.EDITOR_ID
    assert "Fixture cable A: a paid post" in visible_text(preview[0].params["text"])
    assert "Start 7-day free trial" in buttons(preview[0])

    page = "/p/late-cable"
    feed.pages[page] = (
        b'<html><head><meta property="og:title" content="A late cable &amp; more">'
        b'<meta property="og:description" content="Its teaser <b>as text</b>."></head></html>'
    )
    reply = await pushing_bot.send(editor(f"/publish {feed.page_url(page)}"))
    await pushing_bot.services.drafting.settled()  # and the editor told of its drafts
    assert "Pushing A late cable & more to 2 subscribers" in visible_text(reply.params["text"])
    assert rows(pushing_bot.services.settings.database_path,
                "SELECT teaser_html FROM cables WHERE origin = 'manual'") == [
        ("Its teaser &lt;b&gt;as text&lt;/b&gt;.",)
    ]  # fmt: skip

    missing = visible_text(
        (await pushing_bot.send(editor(f"/publish {feed.page_url('/p/none')}"))).params["text"]
    )
    assert missing.startswith("⚠️ could not read") and "HTTP 404" in missing
    assert "Sorry, /publish is for the newsletter's editors." in visible_text(
        (await pushing_bot.say(f"/publish {backlog}")).params["text"]
    )


# ---------------------------------------------------------------------- daily briefing
def daily_briefings(telegram: FakeTelegram) -> list[Any]:
    return [c for c in telegram.delivered() if "Your daily briefing" in c.params["text"]]


async def test_daily_briefing_is_set_shown_and_queued_once_a_day(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    reply = visible_text((await bot.say("/daily on 18:30")).params["text"])
    assert "every day at 18:30 UTC" in reply and "each new cable" in reply
    assert "at 18:30 UTC" in visible_text((await bot.say("/status")).params["text"])
    assert "every day at 18:30 UTC" in visible_text((await bot.say("/daily")).params["text"])
    bad = visible_text((await bot.say("/daily on 25:99")).params["text"])
    assert bad.startswith("⚠️ times look like 07:30 and time zones like Europe/Kyiv")
    # One job for every chat, no job per chat: the subscribers table is the schedule.
    assert bot.app.job_queue is not None
    [job] = bot.app.job_queue.get_jobs_by_name("daily-due")
    assert bot.app.job_queue.get_jobs_by_name(f"daily:{factories.READER_ID}") == ()

    schedule = bot.services.daily
    due = "SELECT daily_next_at, daily_next_day FROM subscribers"
    [(due_at, due_day)] = rows(bot.services.settings.database_path, due)
    assert time.strftime("%H:%M", time.gmtime(due_at)) == "18:30"
    schedule.clock = lambda: due_at + 1  # the job's run just after 18:30 UTC
    await job.run(bot.app)
    await job.run(bot.app)  # a second run the same day queues nothing more
    [daily] = await telegram.wait_for(lambda: daily_briefings(telegram))
    text = visible_text(daily.params["text"])
    assert "120k troops" in text and "Late" not in text
    await bot.settled()
    [(next_at, next_day)] = rows(bot.services.settings.database_path, due)
    assert next_at == due_at + 86400 and next_day > due_day
    assert "Daily briefing off" in visible_text((await bot.say("/daily off")).params["text"])
    assert "Daily briefing: off" in visible_text((await bot.say("/daily")).params["text"])
    schedule.clock = lambda: next_at + 1
    await job.run(bot.app)
    await bot.settled()
    assert len(daily_briefings(telegram)) == 1


async def test_a_daily_briefing_missed_while_the_bot_was_down_goes_out_once_late(
    make_settings: Any, telegram: FakeTelegram
) -> None:
    settings = make_settings()
    app = await start_bot(settings)
    try:
        reply = await RunningBot(app, telegram).say("/daily on 07:30 europe/kyiv")
        assert "every day at 07:30 Europe/Kyiv" in visible_text(reply.params["text"])
    finally:
        await stop_bot(app)
    # The bot stays down across the chat's 07:30: its next due time is an hour past. (A day
    # back from the next 07:30 is not enough: run between 07:30 and 07:40 in Kyiv, it is
    # less than the ten minutes that make a briefing late.)
    with sqlite3.connect(settings.database_path) as conn:
        conn.execute("UPDATE subscribers SET daily_next_at = ?", (time.time() - 3600,))
    app = await start_bot(settings)  # its first check of the schedule runs at start
    try:
        [daily] = await telegram.wait_for(lambda: daily_briefings(telegram))
        assert "Late today: the bot was offline when this briefing was due" in visible_text(
            daily.params["text"]
        )
        assert app.job_queue is not None
        [job] = app.job_queue.get_jobs_by_name("daily-due")
        await job.run(app)  # later checks find nothing more due today
        bot = RunningBot(app, telegram)
        status = visible_text((await bot.say("/status")).params["text"])
        assert "every day at 07:30 Europe/Kyiv" in status
        await bot.settled()
    finally:
        await stop_bot(app)
    assert len(daily_briefings(telegram)) == 1
    [(next_at,)] = rows(settings.database_path, "SELECT daily_next_at FROM subscribers")
    assert next_at > time.time()  # moved on to the next 07:30 in Kyiv


async def test_a_dripping_server_cannot_hold_a_poll_past_its_deadline(
    pushing_bot: RunningBot, feed: FakeFeed
) -> None:
    pushing_bot.services.ingest.deadline = 1.0
    feed.body, feed.drip = fixture("bismarck-feed-v2.xml"), 0.2
    result = await asyncio.wait_for(pushing_bot.services.publisher.poll_feed(), 30)
    assert result.outcome == "error"
    assert "did not answer in full within 1 s" in (result.error or "")
    assert "Forces:" in visible_text((await pushing_bot.say("/forces")).params["text"])


async def test_a_hostile_feed_is_parsed_off_the_event_loop(
    pushing_bot: RunningBot, feed: FakeFeed
) -> None:
    # 390 KB of nested spans in one item: parsed in a thread, in time linear in its size,
    # while readers are answered.
    template = fixture("bismarck-feed-v2.xml").decode()
    nested = "<span>" * 65_000 + "deep" + "</span>" * 55_000
    feed.body = template.replace("Opening of the new paid fixture", nested, 1).encode()
    poll = asyncio.create_task(pushing_bot.services.publisher.poll_feed())
    reply = await pushing_bot.say("/claims")
    assert not poll.done()  # the reader was answered while the feed was still being parsed
    assert "Belarus claims" in visible_text(reply.params["text"])
    assert (await asyncio.wait_for(poll, 120)).outcome == "new"


async def test_publish_reads_only_the_newsletters_own_pages(
    pushing_bot: RunningBot, feed: FakeFeed
) -> None:
    editor = factories.editor_message
    feed.pages["/p/internal"] = b"<html><head><title>Internal admin page</title></head></html>"
    # The same server under another name (localhost, not the feed's 127.0.0.1): refused, as
    # is a redirect from the newsletter's own host to it.
    elsewhere = f"http://localhost:{feed.port}/p/internal"
    reply = visible_text((await pushing_bot.send(editor(f"/publish {elsewhere}"))).params["text"])
    assert "only the newsletter's own pages can be read (127.0.0.1)" in reply
    feed.redirects["/p/moved"] = elsewhere
    reply = visible_text(
        (await pushing_bot.send(editor(f"/publish {feed.page_url('/p/moved')}"))).params["text"]
    )
    assert "only the newsletter's own pages can be read" in reply
    # A host the operator lists is still never read at a private address.
    pushing_bot.services.ingest.hosts.add("localhost")
    reply = visible_text((await pushing_bot.send(editor(f"/publish {elsewhere}"))).params["text"])
    assert "localhost is not a public address: not read" in reply
    path = pushing_bot.services.settings.database_path
    assert rows(path, "SELECT COUNT(*) FROM cables WHERE title LIKE 'Internal%'") == [(0,)]


async def test_publish_looks_in_an_unchanged_feed_without_parsing_it_again(
    pushing_bot: RunningBot, feed: FakeFeed
) -> None:
    # A /publish looks its cable up in the feed first. The priming poll parsed the feed; while
    # it is unchanged (304) those items serve, since parsing holds readers up (B7).
    editor = factories.editor_message
    feed.pages["/p/late"] = b'<html><head><meta property="og:title" content="Late"></head></html>'
    unchanged = feed.not_modified
    reply = await pushing_bot.send(editor(f"/publish {feed.page_url('/p/late')}"))
    assert "Pushing Late to 0 subscribers" in visible_text(reply.params["text"])
    assert feed.not_modified == unchanged + 1
    # Changed: read and parsed afresh, and the new cable found in it, not on its page.
    feed.body = fixture("bismarck-feed-v2.xml")
    new = "https://thebismarckcables.substack.com/p/fixture-cable-c"
    told = visible_text((await pushing_bot.send(editor(f"/publish {new}"))).params["text"])
    assert 'Pushing Lukashenko\'s calculus & the "second front" <analysis>' in told
    assert feed.not_modified == unchanged + 1


async def test_a_group_that_became_a_supergroup_keeps_its_subscription(
    pushing_bot: RunningBot, feed: FakeFeed
) -> None:
    telegram = pushing_bot.telegram
    old, new = -4001, -1004001
    await pushing_bot.services.subscribers.subscribe(old, "group", "Analysts")
    telegram.migrated[old] = new  # Telegram answers the old id with the new one
    await publish_new_cable(pushing_bot, feed)
    [push] = await telegram.wait_for(
        lambda: [c for c in telegram.delivered() if int(c.params["chat_id"]) == new] or None
    )
    assert "Read the cable" in str(push.params["reply_markup"])
    moved = await pushing_bot.services.subscribers.get(new)
    assert moved is not None and moved.active and moved.chat_type == "supergroup"
    assert await pushing_bot.services.subscribers.get(old) is None
    # The service message Telegram sends in the old group does the same.
    await pushing_bot.services.subscribers.subscribe(-4002, "group", "Others")
    update = factories.message(None, chat={"id": -4002, "type": "group", "title": "Others"})
    update["message"]["migrate_to_chat_id"] = -1004002
    await telegram.push_update(update)
    await pushing_bot.say("/help")
    await pushing_bot.settled()
    assert await pushing_bot.services.subscribers.get(-1004002) is not None


# ---------------------------------------------------------------------- refused for content
def held_notices(telegram: FakeTelegram) -> list[str]:
    texts = [visible_text(call.params["text"]) for call in telegram.sent(factories.EDITOR_ID)]
    return [text for text in texts if "Telegram refuses the push" in text]


async def test_a_push_telegram_refuses_stops_at_the_first_refusal_and_resends_once_fixed(
    pushing_bot: RunningBot, telegram: FakeTelegram, feed: FakeFeed
) -> None:
    readers = list(range(501, 511))
    await add_subscribers(pushing_bot, readers)
    telegram.refused_hosts = frozenset({"thebismarckcables.substack.com"})  # flagged, say

    await publish_new_cable(pushing_bot, feed)
    [notice] = await telegram.wait_for(lambda: held_notices(telegram), 30)
    assert "button_url_invalid" in notice.lower() and f"/publish {NEW_CABLE}" in notice
    # Stopped at the first refusal (or the few sends already in flight), nobody got it,
    # and nothing counts as failed: every push waits, held.
    refused = len(telegram.rejections)
    assert 1 <= refused <= 4
    assert not [c for c in telegram.delivered() if int(c.params["chat_id"]) in readers]
    path = pushing_bot.services.settings.database_path
    assert rows(path, "SELECT status, COUNT(*) FROM outbox GROUP BY status") == [("pending", 10)]
    listing = visible_text((await pushing_bot.send(factories.editor_message("/cables")))
                           .params["text"])  # fmt: skip
    assert "⛔ Held: Button_url_invalid" in listing

    telegram.refused_hosts = frozenset()  # mended
    reply = await pushing_bot.send(factories.editor_message(f"/publish {NEW_CABLE}"))
    assert "Resending" in visible_text(reply.params["text"])
    assert "to the 10 subscribers it has not reached" in visible_text(reply.params["text"])
    await telegram.wait_for(
        lambda: {int(c.params["chat_id"]) for c in telegram.delivered()} >= set(readers), 30
    )
    await pushing_bot.settled()
    got = [int(c.params["chat_id"]) for c in telegram.delivered()
           if int(c.params["chat_id"]) in readers]  # fmt: skip
    assert sorted(got) == readers  # each once
    await pushing_bot.services.worker.stop()  # its last outcomes are written
    assert rows(path, "SELECT status, COUNT(*) FROM outbox GROUP BY status") == [("sent", 10)]
    assert len(held_notices(telegram)) == 1  # the editors were told once
    assert len(telegram.rejections) == refused
    telegram.rejections.clear()  # the refusals were the point of this test


async def test_a_link_telegram_would_refuse_is_caught_before_anything_is_queued(
    pushing_bot: RunningBot, telegram: FakeTelegram, feed: FakeFeed
) -> None:
    readers = [601, 602, 603]
    await add_subscribers(pushing_bot, readers)
    good = fixture("bismarck-feed-v2.xml")
    feed.body = good.replace(b"<link>" + NEW_CABLE.encode(), b"<link>http://bismarck-cms/p/c")

    await pushing_bot.services.publisher.poll_feed()
    [notice] = await telegram.wait_for(lambda: held_notices(telegram), 30)
    assert "the “Read the cable” button" in notice and "'bismarck-cms'" in notice
    assert telegram.rejections == []  # nothing was sent to be refused
    assert not [c for c in telegram.calls_of("sendMessage")
                if int(c.params["chat_id"]) in readers]  # fmt: skip

    # A second /publish before the feed is mended: still refused, still nothing sent.
    again = await pushing_bot.send(factories.editor_message(f"/publish {NEW_CABLE}"))
    assert "Telegram would still refuse it" in visible_text(again.params["text"])

    feed.body = good
    reply = await pushing_bot.send(factories.editor_message(f"/publish {NEW_CABLE}"))
    assert "Resending" in visible_text(reply.params["text"])
    pushes = await telegram.wait_for(
        lambda: p if len(p := [c for c in telegram.delivered()
                               if int(c.params["chat_id"]) in readers]) == 3 else None, 30,
    )  # fmt: skip
    links = {buttons(call)["Read the cable"] for call in pushes}
    # The cable's id came from its first, mistaken link (…/p/c): its campaign says so.
    assert links == {f"{NEW_CABLE}?utm_source=telegram&utm_medium=bot&utm_campaign=c"}
    assert len(held_notices(telegram)) == 1


SEEDED_POST = "https://thebismarckcables.substack.com/p/belarus-accumulates-troops-fixture"


async def test_the_feed_item_of_the_seeded_cable_gives_it_its_post_address_and_date(
    make_settings: Any, telegram: FakeTelegram, feed: FakeFeed
) -> None:
    # The feed lists the first cable (its title typeset with an en dash): it is the seeded
    # cable, which takes the post's address and date; no second cable appears.
    item = (
        "<item><title><![CDATA[Belarus accumulates troops near Ukraine – playing risky games"
        " with Putin and the West.]]></title><link>" + SEEDED_POST + "</link>"
        '<guid isPermaLink="false">' + SEEDED_POST + "</guid>"
        "<pubDate>Tue, 27 Aug 2024 08:00:00 GMT</pubDate>"
        "<content:encoded><![CDATA[<p>A few weeks ago, Belarus began to amass tanks.</p>"
        "]]></content:encoded></item>"
    )
    feed.body = feed.body.replace(b"</channel>", item.encode() + b"</channel>")
    settings = make_settings(feed_url=feed.url)
    async with running_bot(settings, telegram) as bot:
        sources = visible_text((await bot.say("/sources")).params["text"])
        assert sources.count("Belarus accumulates troops near Ukraine") == 1
        assert "27 Aug 2024" in sources and "the editors' dating" not in sources
        assert "not on record" not in sources
        brief = await bot.say("/brief")
        assert "The Bismarck Cables, 27 Aug 2024" in visible_text(brief.params["text"])
        assert f'<a href="{SEEDED_POST}">' in brief.params["text"]
        links = {b["text"]: b.get("url") for row in brief.params["reply_markup"]["inline_keyboard"]
                 for b in row}  # fmt: skip
        assert (links["Read the cable"] or "").startswith(SEEDED_POST + "?utm_source=telegram")
        cables = rows(settings.database_path, "SELECT id FROM cables")
        assert len(cables) == 3  # the seeded cable and the feed's two others
