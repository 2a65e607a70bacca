"""A machine whose environment names an HTTP proxy: the Bot API and the feed on this machine
(`cables-bot try`'s, a local Bot API server's, a test's) are reached directly, not through it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bench import factories
from bench.fake_feed import FakeFeed
from tests.auxil.fake_telegram import TOKEN, FakeTelegram

ROOT = Path(__file__).parent.parent
# Nothing listens on the discard port: a request sent through this proxy fails at once.
DEAD_PROXY = "http://127.0.0.1:9"


def behind_a_dead_proxy(**extra: str) -> dict[str, str]:
    """This environment with every proxy variable naming the dead proxy, and no NO_PROXY."""
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "ADMIN_")) and not key.lower().endswith("_proxy")
    }  # fmt: skip
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"):
        env[name] = env[name.lower()] = DEAD_PROXY
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


async def cables_bot(*args: str, env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=cwd, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_try_answers_with_a_proxy_set(tmp_path: Path, feed: FakeFeed) -> None:
    process = await cables_bot("try", "--feed", feed.url, env=behind_a_dead_proxy(), cwd=tmp_path)
    try:
        # The first poll of a feed on loopback reaches it (through the proxy it never could).
        await feed.wait_for_requests(1, timeout=20)
    finally:
        stdout, stderr = await asyncio.wait_for(process.communicate(b"/help\n"), 60)
    assert process.returncode == 0, stderr.decode()
    assert "bot> " in stdout.decode()  # /help was answered
    assert "Traceback" not in stderr.decode()


async def test_run_reaches_a_bot_api_on_loopback_with_a_proxy_set(
    tmp_path: Path, telegram: FakeTelegram, feed: FakeFeed
) -> None:
    env = behind_a_dead_proxy(
        TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=telegram.base_url, FEED_URL=feed.url,
        DATABASE_PATH=str(tmp_path / "data" / "cables.db"),
    )  # fmt: skip
    bot = await cables_bot("run", env=env, cwd=tmp_path)
    try:
        await telegram.wait_for(lambda: telegram.calls_of("getMe"), timeout=20)
        await telegram.push_update(factories.message("/help"))
        await telegram.wait_for(lambda: telegram.sent(factories.READER_ID), timeout=20)
        await feed.wait_for_requests(1, timeout=20)
    finally:
        bot.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(bot.communicate(), 30)
    assert bot.returncode == 0, stderr.decode()
