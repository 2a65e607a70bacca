"""Telegram's limits on sending, as the fake enforces them and as the bot keeps to them."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from bench import factories
from bench.fake_feed import FakeFeed, fixture
from tests.auxil.fake_telegram import TOKEN, Call, FakeTelegram
from tests.conftest import RunningBot, running_bot

GROUP = -100777


async def push_a_cable(bot: RunningBot, feed: FakeFeed, subscribers: range) -> None:
    """Subscribe these private chats, then let the feed bring a new cable to push to them."""
    for chat_id in subscribers:
        await bot.services.subscribers.subscribe(chat_id, "private", None)
    feed.body = fixture("bismarck-feed-v2.xml")
    await bot.services.publisher.poll_feed()


async def send(client: httpx.AsyncClient, telegram: FakeTelegram, chat_id: int,
               **extra: Any) -> int:  # fmt: skip
    answer = await client.post(
        f"{telegram.base_url}{TOKEN}/sendMessage",
        content=json.dumps({"chat_id": chat_id, "text": "hi", **extra}),
        headers={"Content-Type": "application/json"},
    )
    return answer.status_code


class StoppedClock:
    """The clock the fake's limits count by, moved only by the test: 31 sends are "in one
    second" however long a loaded machine takes to make them."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_the_fake_refuses_the_31st_free_message_of_a_second(
    telegram: FakeTelegram,
) -> None:
    telegram.clock = clock = StoppedClock()
    async with httpx.AsyncClient() as client:
        statuses = [await send(client, telegram, 9000 + n) for n in range(31)]
        # Paid broadcasts have a budget of their own: the free one being spent stops none.
        paid = [await send(client, telegram, 9100 + n, allow_paid_broadcast=True)
                for n in range(40)]  # fmt: skip
        clock.now += 0.999
        still = await send(client, telegram, 9200)
        clock.now += 0.001  # the first 30 are a second old: their places are free again
        again = [await send(client, telegram, 9300 + n) for n in range(31)]
    assert statuses[:30] == [200] * 30 and statuses[30] == 429
    assert paid == [200] * 40
    assert still == 429
    assert again[:30] == [200] * 30 and again[30] == 429


async def test_the_fake_gives_a_group_twenty_messages_a_minute(telegram: FakeTelegram) -> None:
    telegram.free_per_second = None  # the group's own limit, alone
    telegram.clock = clock = StoppedClock()
    async with httpx.AsyncClient() as client:
        statuses = [await send(client, telegram, GROUP) for _ in range(21)]
        other = await send(client, telegram, GROUP - 1)
        clock.now += 59.999
        still = await send(client, telegram, GROUP)
        clock.now += 0.001
        again = await send(client, telegram, GROUP)
    assert statuses[:20] == [200] * 20 and statuses[20] == 429
    assert other == 200
    assert (still, again) == (429, 200)


async def test_paid_broadcast_marks_pushes_and_never_replies(
    make_settings: Any, telegram: FakeTelegram, feed: FakeFeed
) -> None:
    settings = make_settings(feed_url=feed.url, paid_broadcast=True, broadcast_rate=500)
    async with running_bot(settings, telegram) as bot:
        await push_a_cable(bot, feed, range(3000, 3050))
        pushes = await telegram.wait_for(
            lambda: p if len(p := [c for c in telegram.delivered()
                                   if 3000 <= int(c.params["chat_id"]) < 3050]) == 50 else None,
            30,
        )  # fmt: skip
        reply = await bot.say("/forces")
    assert all(call.params.get("allow_paid_broadcast") is True for call in pushes)
    assert telegram.paid_sent == 50
    assert "allow_paid_broadcast" not in reply.params


async def test_a_push_to_a_group_waits_for_its_minute_instead_of_meeting_a_429(
    make_settings: Any, telegram: FakeTelegram, feed: FakeFeed
) -> None:
    settings = make_settings(feed_url=feed.url, user_commands_per_minute=1000)
    async with running_bot(settings, telegram) as bot:
        await bot.services.subscribers.subscribe(GROUP, "group", "A group")
        await bot.services.subscribers.subscribe(3100, "private", None)  # queued after it
        chat = factories.group_chat(GROUP)
        for _ in range(20):  # the group's twenty for this minute, spent on replies
            await bot.say("/help", chat=chat)
        feed.body = fixture("bismarck-feed-v2.xml")
        await bot.services.publisher.poll_feed()
        # The reader's push is queued after the group's: once it arrives, the group's row
        # has had its turn. Stopping the worker writes the outcomes of its round.
        await telegram.wait_for(lambda: telegram.sent(3100), 30)
        await bot.services.worker.stop()
        row = await bot.services.db.fetch_one(
            "SELECT status, next_attempt_at, last_error FROM outbox WHERE chat_id = ?", (GROUP,)
        )
    assert telegram.throttled_chats[GROUP] == 0  # it never asked Telegram for a 21st
    assert row is not None and row[0] == "pending" and row[2] == "group limit"


def delivered_to(telegram: FakeTelegram, chats: range) -> list[Any]:
    return [call for call in telegram.delivered() if int(call.params["chat_id"]) in chats]


async def test_readers_are_answered_in_the_middle_of_a_push_at_the_free_ceiling(
    make_settings: Any, telegram: FakeTelegram, feed: FakeFeed
) -> None:
    subscribers, readers = range(4000, 4150), range(8000, 8010)
    async with running_bot(make_settings(feed_url=feed.url, broadcast_rate=30), telegram) as bot:
        await push_a_cable(bot, feed, subscribers)
        # The push is at its ceiling: every place in the last second is taken.
        await telegram.wait_for(lambda: len(delivered_to(telegram, subscribers)) >= 40, 30)
        for chat_id in readers:  # ten readers at once: more than the places pushes leave
            chat = factories.private_chat(chat_id)
            await telegram.push_update(factories.message("/forces", chat))
        await telegram.wait_for(lambda: len(delivered_to(telegram, readers)) == 10, 30)
        during = len(delivered_to(telegram, subscribers))
        await telegram.wait_for(
            lambda: len(delivered_to(telegram, subscribers)) == len(subscribers), 60
        )
    assert during < len(subscribers)  # answered while the push was still going
    assert telegram.throttled_chats == {}  # no reply, and no push, met a 429


async def test_sends_that_arrive_late_meet_no_429(
    make_settings: Any, telegram: FakeTelegram, feed: FakeFeed
) -> None:
    # Telegram counts a send when it arrives. Every fifth subscriber's push takes 40 ms
    # longer on its way, while readers ask for /brief through the push at the ceiling:
    # counted from when each send left, later sends arrived within a late one's second
    # there (429s); counted from its answer, none does.
    subscribers, readers = range(4000, 4150), range(8000, 8040)
    telegram.slow_path = {chat_id: 0.04 for chat_id in subscribers[::5]}
    async with running_bot(make_settings(feed_url=feed.url, broadcast_rate=30), telegram) as bot:
        await push_a_cable(bot, feed, subscribers)
        await telegram.wait_for(lambda: len(delivered_to(telegram, subscribers)) >= 30, 30)
        for chat_id in readers:
            await telegram.push_update(
                factories.message("/brief", factories.private_chat(chat_id))
            )
            await asyncio.sleep(0.1)  # pacing the readers, not synchronisation
        await telegram.wait_for(
            lambda: (
                len(delivered_to(telegram, subscribers)) == len(subscribers)
                and len(delivered_to(telegram, readers)) == len(readers)
            ),
            60,
        )
    assert telegram.throttled_chats == {}


def sends_per_second(calls: list[Call]) -> float:
    """The rate of these calls as the fake received them, first to last."""
    return (len(calls) - 1) / (calls[-1].at - calls[0].at)


async def test_a_push_with_readers_beside_it_stays_within_the_free_ceiling(
    make_settings: Any, telegram: FakeTelegram, feed: FakeFeed
) -> None:
    # The rate limiter alone paces the push: with readers taking the places it leaves them,
    # the sends stay within Telegram's 30 a second, and none of them meets a 429. That they
    # also reach it (the push's share of what readers leave) is a measurement of the rate a
    # machine sustains: the benchmark's B8 ("B8 push rate beside them") makes it.
    subscribers, readers = range(4000, 4200), range(8000, 8016)
    settings = make_settings(feed_url=feed.url, broadcast_rate=30, user_commands_per_minute=1000)
    async with running_bot(settings, telegram) as bot:
        await push_a_cable(bot, feed, subscribers)
        await telegram.wait_for(lambda: len(delivered_to(telegram, subscribers)) >= 30, 30)
        for chat_id in readers:  # two a second: more than the place pushes leave them
            await telegram.push_update(factories.message("/help", factories.private_chat(chat_id)))
            await asyncio.sleep(0.5)  # pacing the readers, not synchronisation
        await telegram.wait_for(
            lambda: len(delivered_to(telegram, subscribers)) == len(subscribers), 60
        )
    pushes = delivered_to(telegram, subscribers)
    # Over the seconds readers asked in, from the first reply to the last push.
    replies = delivered_to(telegram, readers)
    start, end = replies[0].at, min(replies[-1].at, pushes[-1].at)
    sends = [call for call in telegram.delivered() if start <= call.at <= end]
    assert end - start >= 3
    assert sends_per_second(sends) <= 30.5
    assert telegram.throttled_chats == {}


async def test_paid_pushes_stay_within_the_broadcast_rate(
    make_settings: Any, telegram: FakeTelegram, feed: FakeFeed
) -> None:
    # BROADCAST_RATE is the pushes' rate, kept by the rate limiter alone: over three
    # seconds, no more than 200 a second, and no 429. That they go at the rate and not
    # slower is a measurement of what the machine sustains: the benchmark's B3 makes it.
    subscribers = range(5000, 5600)
    settings = make_settings(feed_url=feed.url, paid_broadcast=True, broadcast_rate=200)
    async with running_bot(settings, telegram) as bot:
        await push_a_cable(bot, feed, subscribers)
        await telegram.wait_for(
            lambda: len(delivered_to(telegram, subscribers)) == len(subscribers), 60
        )
    rate = sends_per_second(delivered_to(telegram, subscribers))
    assert rate <= 204
    assert telegram.throttled == 0
