"""Webhook mode: updates posted with the right secret are answered, others refused."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from bench import factories
from tests.auxil.fake_telegram import FakeTelegram
from tests.test_cli import cables_bot, cli_env

SECRET = "s3cret-Token_42-long-enough-for-the-bot"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def webhook_env(
    tmp_path: Path, telegram: FakeTelegram, path: str, **extra: str
) -> tuple[str, dict[str, str]]:
    """The environment of a webhook bot on a free loopback port, and the hook's URL."""
    port = free_port()
    hook = f"http://127.0.0.1:{port}{path}"
    env = cli_env(
        tmp_path, telegram, WEBHOOK_URL=hook, WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port), WEBHOOK_SECRET=SECRET, **extra,
    )  # fmt: skip
    return hook, env


async def webhook_bot(
    tmp_path: Path, telegram: FakeTelegram, path: str, **extra: str
) -> tuple[str, asyncio.subprocess.Process]:
    """`cables-bot run --webhook` on a free loopback port; the hook's URL and the process."""
    hook, env = webhook_env(tmp_path, telegram, path, **extra)
    return hook, await cables_bot("run", "--webhook", env=env, cwd=tmp_path)


async def stop(bot: asyncio.subprocess.Process) -> str:
    """SIGTERM, as an operator stops it; the log it wrote."""
    bot.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(bot.communicate(), 30)
    return stderr.decode() if stderr is not None else ""


async def test_webhook_with_and_without_the_secret(tmp_path: Path, telegram: FakeTelegram) -> None:
    hook, bot = await webhook_bot(tmp_path, telegram, "/telegram-hook")
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
        assert "approximately 20,000 troops" in reply.params["text"]
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


async def test_a_short_webhook_secret_stops_the_start(
    tmp_path: Path, telegram: FakeTelegram
) -> None:
    env = cli_env(tmp_path, telegram, WEBHOOK_URL="https://bot.example.org/hook",
                  WEBHOOK_SECRET="s")  # fmt: skip
    bot = await cables_bot("run", "--webhook", env=env, cwd=tmp_path)
    _, stderr = await asyncio.wait_for(bot.communicate(), 30)
    assert bot.returncode == 2
    [line] = stderr.decode().splitlines()
    assert line.startswith("cables-bot: setting WEBHOOK_SECRET: must be 32-256 letters")
    assert telegram.calls_of("setWebhook") == []


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    [line] = [line for line in status.splitlines() if line.startswith("VmHWM:")]
    return int(line.split()[1]) / 1024


async def test_a_webhook_body_is_capped_and_the_secret_checked_first(
    tmp_path: Path, telegram: FakeTelegram
) -> None:
    hook, bot = await webhook_bot(tmp_path, telegram, "/hook")
    try:
        await telegram.wait_for(lambda: telegram.calls_of("setWebhook"), 30)
        before = peak_rss_mb(bot.pid)
        secret = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        chunk = b"x" * (1024 * 1024)

        async def endless() -> AsyncIterator[bytes]:  # chunked: no length to refuse it by
            for _ in range(95):
                yield chunk

        async with httpx.AsyncClient(timeout=30) as client:
            statuses = []
            for headers in (secret, {}, secret):
                try:
                    answer = await client.post(hook, content=endless(), headers=headers)
                    statuses.append(answer.status_code)
                except httpx.TransportError:
                    statuses.append(0)  # the server stopped reading and closed: also a refusal
            declared = await client.post(hook, content=chunk * 2, headers=secret)
            garbage = await client.post(hook, content=b"{not json", headers=secret)
            not_update = await client.post(hook, content=b"[1, 2]", headers=secret)
            wrong_path = await client.post(hook + "x", content=b"{}", headers=secret)
            fine = await client.post(
                hook,
                content=json.dumps({"update_id": 5, **factories.message("/help")}).encode(),
                headers=secret,
            )
        assert statuses[1] in (403, 0) and statuses[0] in (413, 0) and statuses[2] in (413, 0)
        assert declared.status_code == 413
        assert (garbage.status_code, not_update.status_code) == (400, 400)
        assert wrong_path.status_code == 404
        assert fine.status_code == 200
        await telegram.wait_for(lambda: telegram.sent(factories.READER_ID), 30)
        # 3 × 95 MB posted; what the server held at most was its cap, not the bodies.
        assert peak_rss_mb(bot.pid) - before < 50
    finally:
        bot.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(bot.communicate(), 30)
    assert bot.returncode == 0, stderr.decode()[-2000:]
    assert "Traceback" not in stderr.decode()
