"""Readers become subscribers: calls to action and tagged links on every surface, the bot's
description, /stats, /forget and counted clicks."""

from __future__ import annotations

import asyncio
import json
import signal
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from bench import factories
from bench.fake_feed import FakeFeed
from bot.profile import MAX_DESCRIPTION, MAX_SHORT_DESCRIPTION, profile_texts
from briefings.rendering.renderer import Pages
from briefings.rendering.telegram_html import visible_text
from tests.auxil.fake_telegram import FakeTelegram, png_size
from tests.conftest import RunningBot, running_bot
from tests.test_cli import cables_bot, cli_env
from tests.test_webhook import SECRET, free_port

TRIAL = "https://thebismarckcables.substack.com/subscribe"


def url_buttons(call: Any) -> dict[str, str]:
    markup = call.params.get("reply_markup") or {"inline_keyboard": []}
    return {b["text"]: b["url"] for row in markup["inline_keyboard"] for b in row if "url" in b}


def tags(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def campaign_of(url: str) -> str:
    query = tags(url)
    assert query["utm_source"] == ["telegram"] and query["utm_medium"] == ["bot"], url
    return query["utm_campaign"][0]


async def test_start_offers_subscribing_and_the_trial_beside_the_sections(
    bot: RunningBot,
) -> None:
    reply = await bot.say("/start")
    trial = url_buttons(reply)["Start 7-day free trial"]
    assert campaign_of(trial) == "start"
    assert tags(trial)["coupon"] == ["tg7"]  # TRIAL_URL's own query kept
    assert trial.startswith(TRIAL)

    subscribed = await bot.tap(reply, "subscribe")
    assert "Subscribed" in visible_text(subscribed.params["text"])
    status = visible_text((await bot.say("/status")).params["text"])
    assert "Subscribed to new cables" in status


async def test_every_briefing_link_is_tagged_with_its_surface(bot: RunningBot) -> None:
    brief = await bot.say("/brief")
    assert campaign_of(url_buttons(brief)["Start 7-day free trial"]) == "brief"
    calculus = await bot.say("/calculus")
    links = url_buttons(calculus)
    assert campaign_of(links["Start 7-day free trial"]) == "calculus"
    assert all(campaign_of(url) == "calculus" for url in links.values())
    # Where the free preview stops, the trial is offered, and said to be one.
    text = visible_text(calculus.params["text"])
    assert "The free preview stops here" in text and "7 days" in text
    latest = await bot.say("/latest")
    assert campaign_of(url_buttons(latest)["Start 7-day free trial"]) == "latest"


async def test_the_daily_briefings_links_say_daily(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await bot.say("/daily on 07:30 Europe/Kyiv")
    async with bot.services.db.transaction():
        await bot.services.db.execute("UPDATE subscribers SET daily_next_at = 0")
    assert await bot.services.daily.queue_due() == 1
    bot.services.worker.wake()
    [daily] = await telegram.wait_for(
        lambda: [c for c in telegram.delivered() if "Your daily briefing" in c.params["text"]]
    )
    links = url_buttons(daily)
    assert links and all(campaign_of(url) == "daily" for url in links.values())


async def test_the_description_is_set_once_not_again_on_a_restart_with_the_same_text(
    make_settings: Any, telegram: FakeTelegram
) -> None:
    settings = make_settings()
    for _ in range(2):
        async with running_bot(settings, telegram) as bot:
            situation = await bot.services.situations.current()
    description, short = profile_texts(Pages(), situation)
    assert telegram.descriptions[""] == description
    assert telegram.short_descriptions[""] == short
    assert "The Bismarck Cables" in description and len(short) <= 120
    assert len(telegram.calls_of("setMyDescription")) == 1
    assert len(telegram.calls_of("setMyShortDescription")) == 1
    assert len(telegram.calls_of("getMyDescription")) == 2


async def test_stats_reports_known_history_with_a_chart(bot: RunningBot) -> None:
    db = bot.services.db
    today = await db.fetch_value("SELECT date('now')")
    async with db.transaction():
        await db.executemany(
            "INSERT INTO readers_seen (day, user_id) VALUES (?, ?)",
            [(today, 1), (today, 2), (today, 3), ("2000-01-01", 4)],
        )
        await db.executemany(
            "INSERT INTO day_counts (day, name, count) VALUES (?, ?, ?)",
            [(today, "read:forces", 7), (today, "read:claims", 2), (today, "joined", 4),
             (today, "left", 1)],
        )  # fmt: skip
        await db.executemany(
            "INSERT INTO subscribers (chat_id, chat_type, subscribed_at, updated_at, blocked)"
            " VALUES (?, 'private', ?, ?, ?)",
            [(11, today, today, 0), (12, today, today, 0), (13, today, today + "T01:00", 1)],
        )
    await bot.say("/forces")  # a reader seen today, through the bot: the fourth
    await bot.say("/forces")

    editor = factories.editor_message("/stats")
    await bot.telegram.push_update(editor)
    photo = await bot.telegram.wait_for(
        lambda: bot.telegram.photos(factories.EDITOR_ID) or None, 30
    )
    reply = await bot.telegram.wait_for(lambda: bot.telegram.sent(factories.EDITOR_ID) or None)
    text = visible_text(reply[0].params["text"])
    assert "4 today" in text  # readers 1, 2, 3 and the one who sent /forces
    assert "/forces 9 · /claims 2" in text
    assert "2 active now" in text
    assert "4 joined, 1 left, 1 blocked the bot" in text
    assert "Clicks are not counted" in text  # polling mode
    assert png_size(photo[0].params["photo"])[0] > 0


async def test_forget_erases_the_subscription_the_daily_setting_and_the_counts(
    bot: RunningBot,
) -> None:
    await bot.say("/subscribe")
    await bot.say("/daily on 08:00 Europe/Kyiv")
    await bot.say("/forces")
    await bot.services.stats.flush()
    reply = visible_text((await bot.say("/forget")).params["text"])
    assert "this chat's subscription, with its daily briefing time" in reply
    assert "the 1 day you were counted as a reader" in reply
    db = bot.services.db
    assert (
        await db.fetch_value(
            "SELECT COUNT(*) FROM subscribers WHERE chat_id = ?", (factories.READER_ID,)
        )
        == 0
    )
    assert (
        await db.fetch_value(
            "SELECT COUNT(*) FROM readers_seen WHERE user_id = ?", (factories.READER_ID,)
        )
        == 0
    )
    again = visible_text((await bot.say("/forget")).params["text"])
    assert "no subscription (there was none)" in again


async def test_clicks_are_counted_through_the_bots_own_redirect_in_webhook_mode(
    tmp_path: Path, telegram: FakeTelegram, feed: FakeFeed
) -> None:
    port = free_port()
    hook = f"http://127.0.0.1:{port}/hook"
    feed.pages["/p/trial"] = b"<html><body>The free trial</body></html>"  # the newsletter
    trial_url = feed.page_url("/p/trial") + "?coupon=tg7"
    env = cli_env(
        tmp_path, telegram, WEBHOOK_URL=hook, WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port), WEBHOOK_SECRET=SECRET, TRIAL_URL=trial_url,
        ADMIN_IDS=str(factories.EDITOR_ID),
    )  # fmt: skip
    bot = await cables_bot("run", "--webhook", env=env, cwd=tmp_path)
    try:
        await telegram.wait_for(lambda: telegram.calls_of("setWebhook"), 30)
        async with httpx.AsyncClient(timeout=10) as client:

            async def post(update: dict[str, Any], update_id: int) -> None:
                answer = await client.post(
                    hook, content=json.dumps({"update_id": update_id, **update}),
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                )  # fmt: skip
                assert answer.status_code == 200

            await post(factories.message("/start"), 1)
            [start] = await telegram.wait_for(lambda: telegram.sent(factories.READER_ID), 30)
            trial = url_buttons(start)["Start 7-day free trial"]
            assert trial.startswith(f"http://127.0.0.1:{port}/go/")
            followed = await client.get(trial, follow_redirects=True)  # a real client follows
            assert followed.status_code == 200 and "The free trial" in followed.text
            assert str(followed.url).startswith(trial_url)
            assert campaign_of(str(followed.url)) == "start"
            assert [r.status_code for r in followed.history] == [302]
            # A second visitor's click (the same one's counts once a day: tests/test_clicks.py).
            second = await client.get(trial, headers={"User-Agent": "another browser"})
            assert second.status_code == 302
            assert (await client.get(f"http://127.0.0.1:{port}/go/aaaaaaaaaa")).status_code == 404
            assert (await client.get(f"http://127.0.0.1:{port}/go/../hook")).status_code == 404
            assert (await client.get(f"http://127.0.0.1:{port}/")).status_code == 404

            await post(factories.editor_message("/stats"), 2)
            replies = await telegram.wait_for(
                lambda: [c for c in telegram.sent(factories.EDITOR_ID) if "reach" in
                         visible_text(c.params["text"])] or None, 30,
            )  # fmt: skip
        assert "start 2" in visible_text(replies[0].params["text"])
    finally:
        bot.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(bot.communicate(), 30)
    assert bot.returncode == 0, stderr.decode()[-2000:]


async def test_stats_says_clicks_are_not_counted_in_polling_mode_even_with_a_webhook_url(
    make_settings: Any, telegram: FakeTelegram
) -> None:
    settings = make_settings(webhook_url="https://bot.example.org/hook")
    async with running_bot(settings, telegram) as bot:
        await telegram.push_update(factories.editor_message("/stats"))
        replies = await telegram.wait_for(lambda: telegram.sent(factories.EDITOR_ID) or None, 30)
        start = url_buttons(await bot.say("/start"))["Start 7-day free trial"]
    assert "Clicks are not counted" in visible_text(replies[0].params["text"])
    assert start.startswith(TRIAL)  # the link goes straight to the newsletter


async def test_a_long_title_is_cut_at_a_word_to_fit_both_profile_texts(
    make_settings: Any, telegram: FakeTelegram
) -> None:
    async with running_bot(make_settings(), telegram) as bot:
        situation = await bot.services.situations.current()
    long = replace(situation, title="Belarus " + "massing troops on the border " * 20)
    description, short = profile_texts(Pages(), long)
    assert len(description) <= MAX_DESCRIPTION and len(short) <= MAX_SHORT_DESCRIPTION
    for text in (description, short):
        assert text.endswith("…") and text[:-1] == text[:-1].rstrip()
        assert text[:-1].split()[-1] in {"massing", "troops", "on", "the", "border"}
