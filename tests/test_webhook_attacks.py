"""The webhook's server against hostile clients: idle connections, bodies of the wrong shape,
paths it does not serve (bot/web/)."""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import resource
import socket
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from bench import factories
from bot.web.connections import Connections, quiet_repeated_lines
from tests.auxil.fake_telegram import FakeTelegram
from tests.conftest import CPU
from tests.test_webhook import SECRET, stop, webhook_bot, webhook_env

IDLE = 1_100
BOT_OPEN_FILES = 1_024  # a container's usual limit, where the attack used them all
POST = {"X-Telegram-Bot-Api-Secret-Token": SECRET}


def update(text: str, update_id: int, chat_id: int = factories.READER_ID) -> bytes:
    body = {"update_id": update_id, **factories.message(text, factories.private_chat(chat_id))}
    return json.dumps(body).encode()


def room_for_files(needed: int) -> None:
    """Raise this process's limit of open files to `needed`, or skip where it cannot be."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"needs {needed} open files; this machine allows {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


async def idle_connections(port: int, count: int) -> list[asyncio.StreamWriter]:
    """Connections that begin a request and never finish its headers."""
    writers = []
    for _ in range(count):
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /hook HTTP/1.1\r\nHost: bot.example.org\r\n")
        writers.append(writer)
    return writers


@CPU  # timed
async def test_idle_connections_leave_telegram_answered_and_the_log_short(
    tmp_path: Path, telegram: FakeTelegram
) -> None:
    room_for_files(2 * IDLE + 200)
    hook, env = webhook_env(tmp_path, telegram, "/hook")
    port = int(env["WEBHOOK_PORT"])

    def few_open_files() -> None:  # in the bot's process, before it starts
        resource.setrlimit(resource.RLIMIT_NOFILE, (BOT_OPEN_FILES, BOT_OPEN_FILES))

    log_path = tmp_path / "bot.log"
    with log_path.open("wb") as log_file:  # a file: a flood must not block the bot on a pipe
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--webhook", env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.DEVNULL, stderr=log_file, preexec_fn=few_open_files,
        )  # fmt: skip
    attackers: list[asyncio.StreamWriter] = []
    took = []
    try:
        await telegram.wait_for(lambda: telegram.calls_of("setWebhook"), 30)
        async with httpx.AsyncClient(timeout=5) as client:
            for round_ in range(2):  # the second round makes the first's room again
                attackers += await idle_connections(port, IDLE)
                started = time.monotonic()
                answer = await client.post(hook, content=update("/help", round_ + 1), headers=POST)
                took.append(time.monotonic() - started)
                assert answer.status_code == 200

                def answered(n: int = round_ + 1) -> bool:  # this round's /help too
                    return len(telegram.sent(factories.READER_ID)) == n

                await telegram.wait_for(answered, 30)
    finally:
        for writer in attackers:
            writer.close()
        log = await stop(bot)
    log += log_path.read_text()
    assert max(took) < 1.0, took
    assert len(log.splitlines()) < 100, log[-3000:]
    assert "Traceback" not in log
    assert bot.returncode == 0


@asynccontextmanager
async def guarded_server(connections: Connections) -> AsyncIterator[int]:
    """A uvicorn server with these connections' protocol, answering "ok"; its port."""

    async def ok(request: Request) -> PlainTextResponse:
        await request.body()
        return PlainTextResponse("ok")

    web = Starlette(routes=[Route("/", ok, methods=["GET", "POST"])])
    config = uvicorn.Config(web, host="127.0.0.1", port=0, lifespan="off", log_config=None,
                            http=connections.protocol())  # fmt: skip
    server = uvicorn.Server(config)
    listening = config.bind_socket()
    listening.listen()
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    try:
        yield int(listening.getsockname()[1])
    finally:
        server.should_exit = True
        await serving


async def closed_by_server(reader: asyncio.StreamReader) -> bytes:
    """What the server sent before it closed the connection."""
    return await asyncio.wait_for(reader.read(), 10)


async def test_a_request_not_sent_whole_in_time_is_closed(tmp_path: Path) -> None:
    async with guarded_server(Connections(limit=50, request_seconds=0.3)) as port:
        headers_cut, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")
        body_cut, writer2 = await asyncio.open_connection("127.0.0.1", port)
        writer2.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
        whole, writer3 = await asyncio.open_connection("127.0.0.1", port)
        writer3.write(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert await closed_by_server(headers_cut) == b""
        assert await closed_by_server(body_cut) == b""
        assert (await closed_by_server(whole)).endswith(b"\r\n\r\nok")
        for w in (writer, writer2, writer3):
            w.close()


async def test_past_the_limit_the_oldest_waiting_connection_makes_room() -> None:
    async with guarded_server(Connections(limit=5, request_seconds=60)) as port:
        idle = [await asyncio.open_connection("127.0.0.1", port) for _ in range(5)]
        for _, writer in idle:
            writer.write(b"GET / HTTP/1.1\r\n")
        async with httpx.AsyncClient(timeout=5) as client:
            answers = [await client.get(f"http://127.0.0.1:{port}/") for _ in range(3)]
        assert [a.text for a in answers] == ["ok"] * 3
        # The client kept its one connection open: it took the oldest idle one's place.
        assert await closed_by_server(idle[0][0]) == b""
        for _, writer in idle:
            writer.close()


async def test_a_failed_accept_is_logged_once_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    """asyncio logs each accept that fails for want of files, with its traceback; in a flood
    that was millions of lines."""
    caplog.set_level(logging.INFO)
    loop = asyncio.get_running_loop()
    quieted = quiet_repeated_lines()
    try:
        with socket.socket() as sock:
            for _ in range(1000):
                loop.call_exception_handler({
                    "message": "socket.accept() out of system resource",
                    "exception": OSError(errno.EMFILE, "Too many open files"),
                    "socket": sock,
                })  # fmt: skip
    finally:
        for logger, once in quieted:
            logger.removeFilter(once)
    accepts = [r for r in caplog.records if "socket.accept()" in r.getMessage()]
    assert len(accepts) == 1


DEEP = "[" * 200_000 + "]" * 200_000


def _message_with(**fields: Any) -> dict[str, Any]:
    """A reader's /help, with fields put in place of its own."""
    body = factories.message("/help", factories.private_chat(factories.READER_ID))
    body["message"].update(fields)
    return body


def _tap() -> dict[str, Any]:
    on = {"message_id": 1, "date": 0, "chat": factories.private_chat(factories.READER_ID)}
    tap: dict[str, Any] = factories.callback_query("section:brief", on)["callback_query"]
    return tap


WRONG_SHAPES: list[Any] = [
    '{"update_id": 1, "message": 5}',
    DEEP,
    '{"update_id": 2, "message": ' + DEEP + "}",
    '{"update_id": "abc"}',
    '{"update_id": null, "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "text": "/help"}}',  # noqa: E501
    '{"update_id": 3.5}',
    '{"update_id": true}',
    '{"update_id": 99999999999999999999999}',
    '{"update_id": 4, "message": {"text": "no date, no chat"}}',
    "null",
    '"an update"',
    # Parsed by PTB without a complaint, with types Telegram never sends: a handler would
    # fail on each (bot/plumbing/update_shape.py).
    *(
        json.dumps(typed)
        for typed in (
            {"update_id": 5, **_message_with(text=5)},
            {"update_id": 6, **_message_with(chat={"id": "abc", "type": "private"})},
            {
                "update_id": 7,
                **_message_with(**{"from": {"id": [1], "is_bot": False, "first_name": "R"}}),
            },
            {"update_id": 8, **_message_with(date="yesterday")},
            {"update_id": 9, **_message_with(message_id=True)},
            {"update_id": 10, "callback_query": {**_tap(), "data": 5}},
            {"update_id": 11, "callback_query": {**_tap(), "id": 7}},
            {
                "update_id": 12,
                "inline_query": {
                    **factories.inline_query("forces")["inline_query"],
                    "query": ["forces"],
                },
            },
        )
    ),
]


async def test_updates_of_the_wrong_shape_get_400_and_are_not_kept(
    tmp_path: Path, telegram: FakeTelegram
) -> None:
    hook, bot = await webhook_bot(tmp_path, telegram, "/hook")
    try:
        await telegram.wait_for(lambda: telegram.calls_of("setWebhook"), 30)
        async with httpx.AsyncClient(timeout=10) as client:
            statuses = [
                (await client.post(hook, content=body.encode(), headers=POST)).status_code
                for body in WRONG_SHAPES
            ]
            fine = await client.post(hook, content=update("/help", 10), headers=POST)
        assert statuses == [400] * len(WRONG_SHAPES)
        assert fine.status_code == 200
        await telegram.wait_for(lambda: telegram.sent(factories.READER_ID), 30)
    finally:
        log = await stop(bot)
    assert bot.returncode == 0 and "Traceback" not in log
    # Nothing was kept to fail at the next start.
    _, again = await webhook_bot(tmp_path, telegram, "/hook")
    await telegram.wait_for(lambda: len(telegram.calls_of("setWebhook")) == 2, 30)
    log = await stop(again)
    assert "set aside" not in log and "handling again" not in log
    assert len(telegram.sent(factories.READER_ID)) == 1


async def test_only_the_webhook_and_go_links_are_served_and_nothing_redirects(
    tmp_path: Path, telegram: FakeTelegram
) -> None:
    hook, bot = await webhook_bot(tmp_path, telegram, "/hook")
    base = hook.removesuffix("/hook")
    try:
        await telegram.wait_for(lambda: telegram.calls_of("setWebhook"), 30)
        async with httpx.AsyncClient(timeout=10) as client:
            answers = {
                (method, path): (await client.request(method, base + path, headers=POST))
                for method in ("GET", "POST", "HEAD")
                for path in ("/hook/", "/go/aaaaaaaaaa/", "/", "/go/", "/go", "/hook/x",
                             "//hook", "/go/aaaaaaaaaa", "/go/AAAAAAAAAA", "/favicon.ico")
            }  # fmt: skip
    finally:
        await stop(bot)
    assert all(a.status_code != 307 and "location" not in a.headers for a in answers.values())
    statuses = {key: a.status_code for key, a in answers.items()}
    # POST to a link gets 405 (it is a link's path, GET only); every other answer is 404.
    assert {key for key, s in statuses.items() if s != 404} == {
        ("POST", "/go/aaaaaaaaaa"), ("POST", "/go/AAAAAAAAAA")
    }  # fmt: skip
    assert statuses[("POST", "/go/aaaaaaaaaa")] == 405
