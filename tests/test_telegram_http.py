"""The bot's HTTP client for the Bot API: bodies Telegram accepts, and PTB's errors on faults."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.plumbing.rate_limits import retry_after_seconds
from bot.plumbing.telegram_http import AiohttpRequest
from tests.auxil.fake_telegram import TOKEN, FakeTelegram

SECRET = TOKEN.split(":")[1]


@pytest.fixture
async def bot(telegram: FakeTelegram) -> AsyncIterator[Bot]:
    request = AiohttpRequest(read_timeout=0.5)
    async with Bot(TOKEN, base_url=telegram.base_url, request=request) as bot:
        yield bot


async def test_sends_json_with_nested_markup_as_the_bot_api_takes_it(
    bot: Bot, telegram: FakeTelegram
) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Open", url="https://example.org/")]])
    message = await bot.send_message(77, "<b>Forces</b> &amp; more", parse_mode="HTML",
                                      reply_markup=markup)  # fmt: skip

    assert message.chat.id == 77 and message.message_id > 0
    (call,) = telegram.sent(77)
    assert call.params["chat_id"] == 77
    assert call.params["text"] == "<b>Forces</b> &amp; more"
    assert call.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "Open", "url": "https://example.org/"}]]
    }


# PTB's RetryAfter warns about its own future type as it is made; that is PTB's business.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_faults_become_ptbs_own_errors_without_the_token(
    bot: Bot, telegram: FakeTelegram
) -> None:
    telegram.fail_next("sendMessage", 0, "", action="drop")
    with pytest.raises(NetworkError) as dropped:
        await bot.send_message(77, "hello")
    telegram.fail_next("sendMessage", 0, "", action="hang", retry_after=3)
    with pytest.raises(TimedOut):
        await bot.send_message(77, "hello")
    telegram.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    with pytest.raises(RetryAfter) as throttled:
        await bot.send_message(77, "hello")
    telegram.fail_next("sendMessage", 400, "Bad Request: chat not found")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(77, "hello")

    assert "aiohttp.ServerDisconnectedError" in str(dropped.value)
    assert retry_after_seconds(throttled.value) == 7
    for error in (dropped.value, throttled.value):
        assert SECRET not in str(error) and SECRET not in repr(error)
    assert (await bot.send_message(77, "after the faults")).text == "after the faults"


async def test_uploads_go_as_multipart_with_the_other_fields_beside_them() -> None:
    received: dict[str, Any] = {}

    async def send_document(request: web.Request) -> web.Response:
        form = await request.post()
        upload = form["document"]
        assert isinstance(upload, web.FileField)
        received.update(
            fields={k: v for k, v in form.items() if isinstance(v, str)},
            file=(upload.filename, upload.content_type, upload.file.read()),
        )
        chat = {"id": 77, "type": "private"}
        return web.json_response({"ok": True, "result": {"message_id": 1, "date": 0,
                                                         "chat": chat}})  # fmt: skip

    async def get_me(request: web.Request) -> web.Response:
        me = {"id": 1, "is_bot": True, "first_name": "Test", "username": "test_bot"}
        return web.json_response({"ok": True, "result": me})

    app = web.Application()
    app.router.add_post(f"/bot{TOKEN}/getMe", get_me)
    app.router.add_post(f"/bot{TOKEN}/sendDocument", send_document)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot",
                       request=AiohttpRequest()) as bot:  # fmt: skip
            markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
            await bot.send_document(77, b"%PDF-1.4 a tiny file", filename="cable.pdf",
                                    caption="<i>the cable</i>", parse_mode="HTML",
                                    reply_markup=markup)  # fmt: skip
    finally:
        await runner.cleanup()

    assert received["file"] == ("cable.pdf", "application/pdf", b"%PDF-1.4 a tiny file")
    fields = received["fields"]
    assert fields["chat_id"] == "77"
    assert fields["caption"] == "<i>the cable</i>"
    assert json.loads(fields["reply_markup"]) == {
        "inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]
    }


async def test_refuses_to_work_before_initialize_and_after_shutdown() -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/", "POST")
    await request.initialize()
    await request.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/", "POST")


async def test_a_garbled_answer_is_a_network_error_that_names_no_token() -> None:
    async def garble(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: lots\r\n\r\n{}")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(garble, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as garbled:
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
    finally:
        await request.shutdown()
        server.close()
        await server.wait_closed()

    assert "aiohttp." in str(garbled.value) and "getMe" in str(garbled.value)
    assert SECRET not in str(garbled.value)


async def test_proxy_variables_are_honoured_as_httpx_did(
    telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fake stands in as the proxy: it gets the absolute URL, and answers by its path.
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{telegram.port}")
    monkeypatch.setenv("NO_PROXY", "bypassed.invalid")
    async with Bot(TOKEN, base_url="http://api.telegram.invalid/bot",
                   request=AiohttpRequest()) as proxied:  # fmt: skip
        assert (await proxied.send_message(77, "via the proxy")).text == "via the proxy"
    bypassed = Bot(TOKEN, base_url="http://bypassed.invalid/bot", request=AiohttpRequest())
    with pytest.raises(NetworkError):  # not through the proxy: the name does not resolve
        await bypassed.initialize()
    await bypassed.shutdown()
