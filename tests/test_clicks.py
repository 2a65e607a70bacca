"""Counted clicks count visitors, not requests: once a visitor, link and day, never for HEAD,
and no one's address kept (bot/stats/clicks.py, bot/web/go.py)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx

from bench import factories
from bot.stats.clicks import PER_ADDRESS, ClickCounter, address_key
from tests.auxil.fake_telegram import FakeTelegram
from tests.test_conversion import url_buttons
from tests.test_webhook import SECRET, stop, webhook_bot

BROWSER = {"User-Agent": "Mozilla/5.0 (iPhone) Telegram"}


async def clicks_counted(tmp_path: Path, telegram: FakeTelegram, **extra: str) -> tuple[int, Path]:
    """Run a webhook bot, have one reader's trial link clicked as below; the clicks counted
    on the link's surface, and the database."""
    hook, bot = await webhook_bot(tmp_path, telegram, "/hook", **extra)
    try:
        await telegram.wait_for(lambda: telegram.calls_of("setWebhook"), 30)
        async with httpx.AsyncClient(timeout=10) as client:
            body = json.dumps({"update_id": 1, **factories.message("/start")})
            posted = await client.post(
                hook, content=body, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
            )
            assert posted.status_code == 200
            [start] = await telegram.wait_for(lambda: telegram.sent(factories.READER_ID), 30)
            trial = url_buttons(start)["Start 7-day free trial"]

            async def click(method: str = "GET", **headers: str) -> None:
                answer = await client.request(method, trial, headers={**BROWSER, **headers})
                assert answer.status_code == 302 and answer.headers["location"]

            for _ in range(300):  # one reader, one browser, tapping again and again
                await click()
            for _ in range(50):  # a link checker
                await click("HEAD", **{"X-Forwarded-For": "198.51.100.9"})
            for n in range(40):  # one address, a new User-Agent each time
                await click(**{"User-Agent": f"agent {n}", "X-Forwarded-For": "203.0.113.7"})
            for n in range(5):  # five readers behind the proxy
                await click(**{"X-Forwarded-For": f"192.0.2.{n + 10}"})
    finally:
        await stop(bot)
    database = tmp_path / "data" / "cables.db"
    with sqlite3.connect(database) as conn:
        row = conn.execute("SELECT SUM(count) FROM day_counts WHERE name = 'click:start'")
        return int(row.fetchone()[0] or 0), database


async def test_behind_a_trusted_proxy_each_visitor_counts_once_a_day(
    tmp_path: Path, telegram: FakeTelegram
) -> None:
    counted, database = await clicks_counted(
        tmp_path, telegram, WEBHOOK_TRUSTED_PROXIES="127.0.0.1"
    )
    # The browser on 127.0.0.1 once, 203.0.113.7 at most PER_ADDRESS times, five readers.
    assert counted == 1 + PER_ADDRESS + 5
    # Nothing names a visitor: not their address, not their browser.
    dump = "\n".join(sqlite3.connect(database).iterdump())
    assert "203.0.113.7" not in dump and "192.0.2.10" not in dump and "agent 3" not in dump


async def test_without_a_trusted_proxy_x_forwarded_for_is_not_believed(
    tmp_path: Path, telegram: FakeTelegram
) -> None:
    counted, _ = await clicks_counted(tmp_path, telegram)
    # Everyone is 127.0.0.1: the browser once, and PER_ADDRESS in all from that address.
    assert counted == PER_ADDRESS


def test_a_new_day_counts_a_visitor_again_and_drops_the_days_hashes() -> None:
    day = ["2026-12-06"]
    clicks = ClickCounter(day=lambda: day[0])
    visitors = [("abcdefghij", f"192.0.2.{n}", "browser") for n in range(100)]
    assert all(clicks.first_today(*v) for v in visitors)
    assert not any(clicks.first_today(*v) for v in visitors)
    assert clicks.held == 200
    day[0] = "2026-12-07"
    assert clicks.first_today(*visitors[0]) and clicks.held == 2


def test_an_ipv6_visitor_is_told_apart_by_its_64_prefix() -> None:
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::2")
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("192.0.2.1") == "192.0.2.1" and address_key(None) == ""
