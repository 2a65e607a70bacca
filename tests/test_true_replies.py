"""Replies that say what is true for the chat they go to, in English that counts right:
/cables once everything is attached, /forget, /daily off, /facts, /publish, the description."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bench import factories
from bench.fake_feed import FakeFeed
from bot.profile import profile_texts
from briefings.rendering.plurals import counted
from briefings.rendering.renderer import Pages
from briefings.rendering.telegram_html import visible_text
from tests.auxil.fake_telegram import TOKEN, FakeTelegram
from tests.conftest import RunningBot, running_bot


def text_of(call: Any) -> str:
    return visible_text(call.params.get("text") or call.params.get("caption") or "")


def callbacks(call: Any, prefix: str = "") -> list[str]:
    rows = (call.params.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row
            if "callback_data" in b and b["callback_data"].startswith(prefix)]  # fmt: skip


async def editor(bot: RunningBot, text: str) -> Any:
    return await bot.send(factories.editor_message(text))


@pytest.fixture
async def feeding_bot(
    make_settings: Any, telegram: FakeTelegram, feed: FakeFeed
) -> AsyncIterator[RunningBot]:
    """A bot whose first feed poll brought the feed's cables in."""
    async with running_bot(make_settings(feed_url=feed.url), telegram) as bot:
        yield bot


# ---------------------------------------------------------------------- keyboards
async def call_bot_api(telegram: FakeTelegram, method: str, body: dict[str, Any]) -> Any:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{telegram.base_url}{TOKEN}/{method}", json=body) as response,
    ):
        return await response.json()


async def test_the_bot_api_refuses_a_new_message_with_a_keyboard_without_a_button(
    telegram: FakeTelegram,
) -> None:
    empty: dict[str, Any] = {"inline_keyboard": []}
    refused = await call_bot_api(
        telegram, "sendMessage", {"chat_id": 1, "text": "x", "reply_markup": empty}
    )
    assert refused == {
        "ok": False, "error_code": 400,
        "description": "Bad Request: can't parse reply keyboard markup JSON object",
    }  # fmt: skip
    rowless: dict[str, Any] = {"inline_keyboard": [[]]}
    assert not (await call_bot_api(
        telegram, "sendMessage", {"chat_id": 1, "text": "x", "reply_markup": rowless}
    ))["ok"]  # fmt: skip
    # An edit may send one: that takes the buttons away.
    button = {"inline_keyboard": [[{"text": "b", "callback_data": "b"}]]}
    sent = await call_bot_api(
        telegram, "sendMessage", {"chat_id": 1, "text": "x", "reply_markup": button}
    )
    edited = await call_bot_api(telegram, "editMessageText", {
        "chat_id": 1, "message_id": sent["result"]["message_id"], "text": "y",
        "reply_markup": empty,
    })  # fmt: skip
    assert edited["ok"]


async def test_cables_once_every_cable_is_attached_sends_no_keyboard(
    feeding_bot: RunningBot,
) -> None:
    bot = feeding_bot
    listing = await editor(bot, "/cables")
    taps = callbacks(listing, "attach:")
    assert taps  # the feed's cables, none attached to the editor's situation yet
    for tap in taps:
        await bot.tap(listing, tap, factories.editor())
    listing = await editor(bot, "/cables")
    assert "reply_markup" not in listing.params  # Telegram refuses an empty keyboard
    text = text_of(listing)
    assert f"Every cable here is attached to {factories.SITUATION}" in text
    assert "Tap a cable below" not in text
    # (running_bot checks on exit that the Bot API refused none of the bot's calls)


# ---------------------------------------------------------------------- /forget
async def test_forget_right_after_a_brief_erases_and_counts_the_day_not_yet_written(
    bot: RunningBot,
) -> None:
    await bot.say("/brief")  # counted in memory; written to the database every minute
    reply = text_of(await bot.say("/forget"))
    assert "the 1 day you were counted as a reader" in reply
    await bot.services.stats.flush()
    assert not await bot.services.db.fetch_all(
        "SELECT day FROM readers_seen WHERE user_id = ?", (factories.READER_ID,)
    )


async def test_forget_in_a_subscribed_group_says_the_group_keeps_its_subscription(
    bot: RunningBot,
) -> None:
    group = factories.group_chat()
    bot.telegram.admins[factories.GROUP_ID] = {factories.READER_ID}
    await bot.send(factories.message("/subscribe", chat=group))
    reply = text_of(await bot.send(factories.message("/forget", chat=group)))
    assert reply.startswith("🗑 Done: what the bot kept about you is erased.")
    assert "subscription (there was none)" not in reply  # the user's own: said privately
    assert (
        "This group's subscription is the group's, not yours: it stays, and its administrators "
        "can stop it with /unsubscribe." in reply
    )
    subscriber = await bot.services.subscribers.get(factories.GROUP_ID)
    assert subscriber is not None and subscriber.subscribed


# ---------------------------------------------------------------------- /daily off
async def test_daily_off_says_what_still_comes_to_this_chat(bot: RunningBot) -> None:
    alone = text_of(await bot.say("/daily off"))
    assert "New cables still arrive" not in alone
    assert alone.startswith("The daily briefing was not on. This chat is not subscribed either")

    await bot.say("/daily on 07:30")
    off = text_of(await bot.say("/daily off"))
    assert off.startswith("Daily briefing off. New cables still arrive as they come out")

    await bot.say("/unsubscribe")
    group = factories.group_chat()
    bot.telegram.admins[factories.GROUP_ID] = {factories.READER_ID}
    in_group = text_of(await bot.send(factories.message("/daily off", chat=group)))
    assert "This group is not subscribed either" in in_group


# ---------------------------------------------------------------------- counts and words
def test_a_count_takes_the_singular_for_one_only() -> None:
    assert counted(1, "claim") == "1 claim"
    assert counted(0, "claim") == "0 claims"
    assert counted(2, "more time") == "2 more times"
    assert counted(1200, "subscriber") == "1,200 subscribers"
    assert counted(3, "person", "people") == "3 people"


async def test_facts_shows_a_claim_without_a_verdict_and_counts_one_claim(bot: RunningBot) -> None:
    await editor(bot, "/retire ukraine_massed_120k")
    listing = text_of(await editor(bot, "/facts claims"))
    assert listing.startswith("Claims (1 claim).")
    assert "\nNo verdict on record.\nas of Aug 2024" in listing
    assert "noneas of" not in listing and "Verdict: none" not in listing


async def test_publish_to_one_subscriber_says_one_subscriber(
    feeding_bot: RunningBot, feed: FakeFeed
) -> None:
    await feeding_bot.services.subscribers.subscribe(31, "private", "Reader 31")
    feed.pages["/p/late"] = b'<html><head><meta property="og:title" content="Late"></head></html>'
    reply = await editor(feeding_bot, f"/publish {feed.page_url('/p/late')}")
    assert "Pushing Late to 1 subscriber. /cables shows the progress." in text_of(reply)


async def test_the_description_says_what_start_shows(bot: RunningBot) -> None:
    description, _ = profile_texts(Pages(), await bot.services.situations.current())
    assert "Press Start for the brief" not in description
    assert (
        "Press Start: it shows the sections to pick from, and a button to have each new cable "
        "sent here." in description
    )
    start = await bot.say("/start")
    assert {f"section:{s.name}:{factories.SITUATION}" for s in factories.SECTIONS} <= set(
        callbacks(start)
    )
    assert "subscribe" in callbacks(start)
