"""Updates from different chats are answered side by side; each chat's in the order sent."""

from __future__ import annotations

from typing import Any

from bench import factories
from bot.plumbing.inbox import InboxQueue
from bot.plumbing.update_order import MAX_CONCURRENT_UPDATES
from tests.auxil.fake_telegram import FakeTelegram
from tests.conftest import RunningBot, running_bot

SLOW, OTHER, THIRD = 7001, 7002, 7003


async def test_a_slow_chat_holds_up_only_itself(bot: RunningBot, telegram: FakeTelegram) -> None:
    release = telegram.hold_next_message(SLOW)
    for text in ("/forces", "/help"):  # the /help must wait behind the held /forces
        await telegram.push_update(factories.message(text, factories.private_chat(SLOW)))

    other = await bot.say("/claims", chat=factories.private_chat(OTHER))
    third = await bot.say("/help", chat=factories.private_chat(THIRD))

    assert "claim" in other.params["text"].lower()
    assert "/forces" in third.params["text"]
    assert telegram.sent(SLOW) == []  # still held, and nothing of SLOW's overtook it
    release.set()
    replies = await telegram.wait_for(
        lambda: telegram.sent(SLOW) if len(telegram.sent(SLOW)) == 2 else None
    )
    forces = bot.desk.renderer
    assert replies[0].params["text"] == (await forces.render("forces")).text
    assert replies[1].params["text"] == third.params["text"]  # /help, as the third chat got it


async def test_one_chats_commands_are_answered_in_order(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    sections = [
        "forces",
        "claims",
        "brief",
        "calculus",
        "fortifications",
        "sources",
    ] * 3  # under the flood limit
    for name in sections:
        await telegram.push_update(factories.message(f"/{name}", factories.private_chat(SLOW)))

    replies = await telegram.wait_for(
        lambda: telegram.sent(SLOW) if len(telegram.sent(SLOW)) == len(sections) else None, 30
    )
    expected = [(await bot.desk.renderer.render(name)).text for name in sections]
    assert [call.params["text"] for call in replies] == expected


async def test_a_chat_with_a_backlog_does_not_take_every_running_slot(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    release = telegram.hold_next_message(SLOW)
    for _ in range(MAX_CONCURRENT_UPDATES + 6):  # more than can run at once, all one chat's
        await telegram.push_update(factories.message("/brief", factories.private_chat(SLOW)))

    other = await bot.say("/help", chat=factories.private_chat(OTHER))

    assert "/forces" in other.params["text"]
    assert telegram.sent(SLOW) == []
    release.set()
    await bot.settled()
    assert telegram.sent(SLOW)  # the backlog was answered (up to the flood limit) once let go


async def test_an_inline_query_does_not_wait_for_its_users_private_chat(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    release = telegram.hold_next_message(factories.READER_ID)
    await telegram.push_update(factories.message("/forces"))  # the reader's own chat, held

    answer = await bot.ask_inline("claims")  # typed by the same reader, elsewhere

    assert [result["id"] for result in answer.params["results"]] == ["claims"]
    release.set()
    await bot.settled()
    # Answered while the reader's reply was still held: the reply went through untimed-out,
    # with no apology after it and no error report to the editors.
    forces = (await bot.desk.renderer.render("forces")).text
    assert [call.params["text"] for call in telegram.sent(factories.READER_ID)] == [forces]
    assert telegram.sent(factories.EDITOR_ID) == []


async def test_a_full_backlog_stops_fetching_until_there_is_room(
    make_settings: Any, telegram: FakeTelegram
) -> None:
    settings = make_settings(update_backlog=10, user_commands_per_minute=10_000)
    async with running_bot(settings, telegram) as bot:
        queue = bot.app.update_queue
        assert isinstance(queue, InboxQueue)
        release = telegram.hold_next_message(SLOW)
        slow_help = factories.message("/help", factories.private_chat(SLOW))
        first = await telegram.push_update(slow_help)
        await telegram.wait_for(lambda: SLOW in telegram.holding)
        for _ in range(400):  # all behind the held reply
            await telegram.push_update(slow_help)

        # The bot fetches until its backlog is full, then asks for no more: Telegram keeps them.
        await telegram.wait_for(lambda: queue.inbox.in_hand >= 10 and not telegram.polling)
        fetched = telegram.fetched_up_to - first + 1
        assert 10 <= fetched <= 10 + 2 * 100  # the backlog, and at most the batches in flight
        assert telegram.pending_updates > 0

        release.set()
        await telegram.wait_for(lambda: len(telegram.sent(SLOW)) == 401, 60)
        await bot.settled()
        assert queue.inbox.in_hand == 0
