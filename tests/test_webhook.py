"""Webhook mode: updates posted with the right secret are answered, others refused."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
from pathlib import Path

import httpx

from tests import factories
from tests.fake_telegram import FakeTelegram
from tests.test_cli import cables_bot, cli_env

SECRET = "s3cret-Token_42"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_with_and_without_the_secret(tmp_path: Path, telegram: FakeTelegram) -> None:
    port = free_port()
    hook = f"http://127.0.0.1:{port}/telegram-hook"
    env = cli_env(
        tmp_path, telegram, WEBHOOK_URL=hook, WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port), WEBHOOK_SECRET=SECRET,
    )  # fmt: skip
    bot = await cables_bot("run", "--webhook", env=env, cwd=tmp_path)
    try:
        [registered] = await telegram.wait_for(lambda: telegram.calls_of("setWebhook"), 30)
        assert registered.params["url"] == hook
        assert registered.params["secret_token"] == SECRET

        def update(text: str, chat_id: int) -> bytes:
            body = factories.message(text, factories.private_chat(chat_id))
            return json.dumps({"update_id": chat_id, **body}).encode()

        # PTB registers the webhook only once its listener is up, so it can be posted to now.
        async with httpx.AsyncClient(timeout=10) as client:
            headers = {"Content-Type": "application/json"}
            refused = await client.post(hook, content=update("/forces", 9101), headers=headers)
            wrong = await client.post(
                hook, content=update("/forces", 9102),
                headers={**headers, "X-Telegram-Bot-Api-Secret-Token": "nope"},
            )  # fmt: skip
            accepted = await client.post(
                hook, content=update("/forces", 9103),
                headers={**headers, "X-Telegram-Bot-Api-Secret-Token": SECRET},
            )  # fmt: skip
        assert (refused.status_code, wrong.status_code, accepted.status_code) == (403, 403, 200)
        [reply] = await telegram.wait_for(lambda: telegram.sent(9103), 30)
        assert "about 20,000 troops" in reply.params["text"]
        assert telegram.sent(9101) == [] and telegram.sent(9102) == []
        assert telegram.calls_of("getUpdates") == []
    finally:
        bot.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(bot.communicate(), 30)
    assert bot.returncode == 0
    assert SECRET not in stderr.decode()


async def test_webhook_mode_needs_its_settings(tmp_path: Path, telegram: FakeTelegram) -> None:
    bot = await cables_bot("run", "--webhook", env=cli_env(tmp_path, telegram), cwd=tmp_path)
    _, stderr = await asyncio.wait_for(bot.communicate(), 30)
    assert bot.returncode == 2
    assert stderr.decode().splitlines() == [
        "cables-bot: setting WEBHOOK_URL: not set (needed for --webhook)",
        "cables-bot: setting WEBHOOK_SECRET: not set (needed for --webhook)",
    ]
