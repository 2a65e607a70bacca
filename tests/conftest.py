"""Fixtures: a fake Bot API on loopback, settings on a temporary database, a running bot."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from bench import factories
from bench.fake_feed import FakeFeed
from bot.app import FEED_JOB, build_application
from bot.context import App, Services
from bot.desks import Desk
from bot.lifecycle import start_polling_app, stop_app
from bot.settings import Settings
from tests.auxil.fake_telegram import TOKEN, Call, FakeTelegram
from tests.auxil.processor import ObservedProcessor

# CI explores the same examples on every run, so a landing never hangs on a lucky draw;
# developers' runs keep exploring new ones.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

# The suite runs on two workers (pytest-xdist, pyproject.toml's addopts: `-n 0` runs it in one
# process). The tests of one group run one after another on one worker; --dist loadgroup hands
# out the units with the most tests first, so the two groups start at once, one on each worker.
# Paced: they run for minutes at Telegram's 30 messages a second, bound by the clock more than
# by the CPU; the CPU group runs beside them.
PACED = pytest.mark.xdist_group("paced")
# CPU: the benchmarks' smoke run, which keeps several processes busy for a minute, and the tests
# that assert how long something takes. In one group, no timing is taken beside that run.
CPU = pytest.mark.xdist_group("cpu")


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def feed() -> AsyncIterator[FakeFeed]:
    server = FakeFeed()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def make_settings(tmp_path: Path, telegram: FakeTelegram) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "telegram_bot_token": TOKEN,
            "telegram_api_url": telegram.base_url,
            "database_path": tmp_path / "data" / "cables.db",
            "admin_ids": frozenset({factories.EDITOR_ID}),
            "trial_url": "https://thebismarckcables.substack.com/subscribe?coupon=tg7",
            # Nothing listens on the discard port: feed polls fail fast unless a test
            # gives a loopback feed server.
            "feed_url": "http://127.0.0.1:9/feed",
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)

    return make


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@dataclass
class RunningBot:
    """The real Application, polling the fake server; helpers to talk to it."""

    app: App
    telegram: FakeTelegram

    @property
    def services(self) -> Services:
        return self.app.bot_data.services

    @property
    def desk(self) -> Desk:
        """The shipped situation's desk: its store, renderer, editor and chart."""
        return self.services.desks.get(factories.SITUATION)

    async def send(self, update: dict[str, Any], *, chat_id: int | None = None) -> Call:
        """Push an update and return the first message the bot sends back to the chat."""
        chat_id = chat_id if chat_id is not None else _chat_id(update)
        before = len(self.telegram.sent(chat_id))
        await self.telegram.push_update(update)
        sent = await self.telegram.wait_for(lambda: self.telegram.sent(chat_id)[before:] or None)
        return sent[0]

    async def ask_inline(self, query: str, sender: dict[str, Any] | None = None) -> Call:
        """Type "@bot <query>" in some chat; return the bot's answerInlineQuery."""
        update = factories.inline_query(query, sender)
        query_id = update["inline_query"]["id"]
        await self.telegram.push_update(update)
        answers = await self.telegram.wait_for(
            lambda: [c for c in self.telegram.calls_of("answerInlineQuery")
                     if c.params.get("inline_query_id") == query_id] or None
        )  # fmt: skip
        return answers[0]

    async def settled(self) -> None:
        """Wait until every update the bot has taken is handled.

        Chats are handled side by side, so a reply in one chat says nothing of another's
        updates. Call this after a reply to an update offered last: every update offered
        before it has been taken by then, and this waits for their handling to finish.
        """
        processor = self.app.update_processor
        assert isinstance(processor, ObservedProcessor)
        await processor.wait_idle()

    async def first_poll(self) -> None:
        """Wait until the feed poll the bot made at start is over (it runs as its own task,
        bot/app.py's post_init)."""
        name = f"first-{FEED_JOB}"
        await next(task for task in self.services.background if task.get_name() == name)

    async def say(self, text: str, **kwargs: Any) -> Call:
        """Send a text message from a reader in a private chat; return the reply."""
        return await self.send(factories.message(text, **kwargs))

    async def tap(self, call: Call, data: str, sender: dict[str, Any] | None = None) -> Call:
        """Tap the button with callback data under the message that call sent or edited."""
        chat_id = int(call.params["chat_id"])
        message_id = (
            int(call.params["message_id"])
            if "message_id" in call.params
            else self.telegram.messages_sent_ids(call)
        )
        chat = self.telegram.chats.get(chat_id, factories.private_chat(chat_id))
        on_message = {"message_id": message_id, "date": 0, "chat": chat, "text": "…"}
        offered = [
            button.get("callback_data")
            for row in (call.params.get("reply_markup") or {}).get("inline_keyboard", [])
            for button in row
        ]
        assert data in offered, f"no button {data!r} under that message: {offered}"
        return await self.send(factories.callback_query(data, on_message, sender))

    async def assert_silent(self, update: dict[str, Any]) -> None:
        """Show the bot ignores update: a later /help gets answered, and nothing before it."""
        chat_id = _chat_id(update)
        before = len(self.telegram.sent(chat_id))
        await self.telegram.push_update(update)
        chat = update["message"]["chat"]
        reply = await self.send(factories.message(f"/help@{self.app.bot.username}", chat=chat))
        assert self.telegram.sent(chat_id)[before:] == [reply]


def _chat_id(update: dict[str, Any]) -> int:
    body = update.get("message") or update.get("callback_query", {}).get("message") or {}
    return int(body["chat"]["id"])


async def start_bot(settings: Settings, poll_timeout: int = 5) -> App:
    """Start the application as run_polling does, inside the test's event loop."""
    app = build_application(settings, update_processor=ObservedProcessor)
    await start_polling_app(app, poll_timeout)
    return app


async def stop_bot(app: App) -> None:
    """Stop the application as run_polling does."""
    await stop_app(app)


@pytest.fixture
async def bot(settings: Settings, telegram: FakeTelegram) -> AsyncIterator[RunningBot]:
    async with running_bot(settings, telegram) as running:
        yield running


@asynccontextmanager
async def running_bot(settings: Settings, telegram: FakeTelegram) -> AsyncIterator[RunningBot]:
    """The bot on these settings, its first feed poll done; stopped after, and the fake Bot
    API must have rejected none of its calls."""
    app = await start_bot(settings)
    try:
        running = RunningBot(app, telegram)
        await running.first_poll()  # start from a settled state
        assert running.services.menus is not None
        await running.services.menus
        yield running
    finally:
        await stop_bot(app)
    assert telegram.rejections == [], "the fake Bot API rejected a call"
