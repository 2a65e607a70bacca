"""Floods, failures and secrets: what users, editors and the log see when things go wrong."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

import pytest

from bench import factories
from briefings.rendering.telegram_html import visible_text
from tests.auxil.fake_telegram import TOKEN, FakeTelegram
from tests.conftest import RunningBot, start_bot, stop_bot
from tests.telegram_html_check import check_html
from tests.test_cli import cables_bot, cli_env

SECRET_HALF = TOKEN.partition(":")[2]


async def test_a_flooding_user_gets_one_slow_down_then_silence(
    make_settings: Any, telegram: FakeTelegram
) -> None:
    app = await start_bot(make_settings(user_commands_per_minute=5))
    bot = RunningBot(app, telegram)
    try:
        for _ in range(5):
            assert "Forces:" in visible_text((await bot.say("/forces")).params["text"])
        slow = await bot.say("/forces")
        assert visible_text(slow.params["text"]).startswith("Slow down, please")
        for _ in range(10):
            await telegram.push_update(factories.message("/brief"))
        # Another reader is served at once, and the flooder got nothing more.
        other = factories.private_chat(4242)
        reply = await bot.send(factories.message("/claims", chat=other))
        assert "The cable's verdict: preposterous" in visible_text(reply.params["text"])
        await bot.settled()  # the flooder's ten /brief are handled: silently
        assert len(telegram.sent(factories.READER_ID)) == 6
        assert len(telegram.photos(factories.READER_ID)) == 5  # each /forces has its chart
        # Typing "@bot forces" is a query a keystroke: not counted, still answered.
        for typed in ("f", "fo", "for", "forc", "force", "forces"):
            answer = await bot.ask_inline(typed)
            assert answer.params["results"][0]["id"] == "forces"
        # Editors are not limited.
        for _ in range(8):
            await bot.send(factories.editor_message("/forces"))
    finally:
        await stop_bot(app)


async def test_a_failure_apologises_and_reports_to_editors_without_the_token(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    telegram = bot.telegram
    telegram.fail_next("sendMessage", 500, "Internal Server Error")
    with caplog.at_level(logging.ERROR):
        await telegram.push_update(factories.message("/forces"))
        reports = await telegram.wait_for(lambda: telegram.sent(factories.EDITOR_ID) or None)
        apology = await telegram.wait_for(
            lambda: [c for c in telegram.delivered()
                     if int(c.params["chat_id"]) == factories.READER_ID] or None
        )  # fmt: skip
    assert apology[0].params["text"] == (
        "Sorry, something went wrong on our side. Please try again in a moment."
    )
    report = reports[0].params["text"]
    check_html(report)
    assert report.startswith("⚠️ <b>Error</b> update ")
    assert f"user {factories.READER_ID}, /forces" in report
    assert "<pre>Traceback" in report and "NetworkError" in report
    for call in telegram.calls:
        assert TOKEN not in str(call.params) and SECRET_HALF not in str(call.params)
    assert any("error handling update" in r.getMessage() for r in caplog.records)


async def test_no_log_line_or_reply_of_a_full_run_shows_the_token(
    tmp_path: Any, telegram: FakeTelegram
) -> None:
    env = cli_env(tmp_path, telegram, LOG_LEVEL="DEBUG",
                  ADMIN_IDS=str(factories.EDITOR_ID))  # fmt: skip
    bot = await cables_bot("run", env=env, cwd=tmp_path)
    # Read its output as it comes: DEBUG logs fill a pipe's 64 KB, and a bot whose stderr
    # is full stops at its next log line.
    assert bot.stdout is not None and bot.stderr is not None
    output = asyncio.gather(bot.stdout.read(), bot.stderr.read())
    try:
        await telegram.wait_for(lambda: telegram.calls_of("setMyCommands"), timeout=30)
        telegram.fail_next("sendMessage", 500, "Internal Server Error")
        for text in ("/forces", "/start", "/nonsense", "hello", "/facts"):
            await telegram.push_update(factories.message(text))
        for text in ("/set border_length 1090", "/history", "/facts forces"):
            await telegram.push_update(factories.editor_message(text))
        await telegram.wait_for(lambda: len(telegram.sent(factories.EDITOR_ID)) >= 4, 30)
        await telegram.wait_for(lambda: len(telegram.sent(factories.READER_ID)) >= 5, 30)
    finally:
        bot.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(output, 30)
        await bot.wait()
    log = stderr.decode() + stdout.decode()
    assert "DEBUG" in log and "error handling update" in log and "[REDACTED]" in log
    assert TOKEN not in log and SECRET_HALF not in log
    for call in telegram.calls:
        assert SECRET_HALF not in str(call.params)


async def test_one_error_reaches_the_editors_once_with_its_repeats_counted(
    bot: RunningBot,
) -> None:
    telegram = bot.telegram
    readers = [factories.private_chat(7000 + n) for n in range(6)]
    ids = frozenset(chat["id"] for chat in readers)
    telegram.fail_next("sendMessage", 500, "Internal Server Error", times=12, chats=ids)
    for chat in readers:  # six users hit the same fault
        await telegram.push_update(factories.message("/claims", chat=chat))
    await telegram.wait_for(lambda: telegram.sent(factories.EDITOR_ID) or None)
    await bot.say("/help")
    await bot.settled()
    assert len(telegram.sent(factories.EDITOR_ID)) == 1  # one report, not six
    digest = bot.services.error_digest
    [(key, repeats)] = digest._repeats.items()  # the five others, counted for the next one
    assert key.startswith("NetworkError@") and repeats == 5
    # Past the interval, the next report says how often it came back meanwhile.
    digest.interval = 0
    telegram.fail_next("sendMessage", 500, "Internal Server Error", chats=ids)
    await telegram.push_update(factories.message("/claims", chat=readers[0]))
    reports = await telegram.wait_for(lambda: telegram.sent(factories.EDITOR_ID)[1:] or None)
    assert "it came back 5 more times since its last report" in reports[0].params["text"]


async def test_telegrams_expected_refusals_are_logged_not_reported(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    telegram = bot.telegram
    telegram.fail_next("sendMessage", 403, "Forbidden: bot is not a member of the group chat")
    telegram.fail_next("sendMessage", 400, "Bad Request: not enough rights to send text")
    with caplog.at_level(logging.WARNING):
        group = factories.group_chat()
        for _ in range(2):
            await telegram.push_update(
                factories.message(f"/brief@{telegram_username(bot)}", chat=group)
            )
        await bot.say("/help")
        await bot.settled()
    assert telegram.sent(factories.EDITOR_ID) == []
    assert sum("telegram said no, as it may" in r.getMessage() for r in caplog.records) == 2
    assert not any("error handling update" in r.getMessage() for r in caplog.records)


async def test_a_reply_whose_command_was_deleted_still_arrives(bot: RunningBot) -> None:
    group = factories.group_chat()
    command = factories.message(f"/claims@{telegram_username(bot)}", chat=group)
    bot.telegram.deleted.add((group["id"], command["message"]["message_id"]))
    reply = await bot.send(command)
    assert "Belarus claims" in visible_text(reply.params["text"])
    assert reply.params["reply_parameters"]["allow_sending_without_reply"] is True


def telegram_username(bot: RunningBot) -> str:
    return str(bot.app.bot.username)
