"""`cables-bot try`: the real bot (same Application, handlers, templates and database code)
against the local Bot API, with a chat in the terminal.

Nothing leaves the machine: the Bot API is served in-process on loopback, and the feed is
not polled unless --feed names one. The bot works on a throwaway database (a copy of
--database, never the file itself), so nothing tried here changes what readers get.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from pydantic import SecretStr

from bot.app import build_application
from bot.context import App
from bot.lifecycle import start_polling_app, stop_app
from bot.maintenance import backup
from bot.plumbing.update_order import PerChatUpdateProcessor
from bot.sandbox.bot_api import TOKEN, Call, LocalBotApi
from bot.sandbox.terminal import Button, buttons_of, keyboard_lines, terminal_text
from bot.sandbox.updates import callback_query_update, message_update
from bot.settings import Settings

TOKEN_SECRET = SecretStr(TOKEN)
GROUP_ID = -1001000000001
QUIT = {"/quit", "/exit"}
PROMPT = "you> "


@dataclass(frozen=True, slots=True)
class TryOptions:
    user_id: int = 1001
    editor: bool = False
    group: bool = False
    database: Path | None = None
    feed: str | None = None


def try_settings(base: Settings, options: TryOptions, api: LocalBotApi, db: Path) -> Settings:
    """The operator's settings (TRIAL_URL and the like), pointed at the local API and the
    throwaway database, with the terminal's user an editor where asked."""
    return base.model_copy(
        update={
            "telegram_bot_token": TOKEN_SECRET,
            "telegram_api_url": api.base_url,
            "database_path": db,
            "admin_ids": frozenset({options.user_id}) if options.editor else frozenset(),
            "feed_url": options.feed or base.feed_url,
            "webhook_url": None,
            "log_level": "WARNING",
        }
    )


class TryProcessor(PerChatUpdateProcessor):
    """The bot's update processor, counting the updates handled: the terminal prints the
    bot's replies once its line is handled, and a handler may send nothing at all."""

    __slots__ = ("_handled", "handled_count")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.handled_count = 0  # updates handled since start (an error handled counts)
        self._handled = asyncio.Event()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await super().do_process_update(update, coroutine)
        self.handled_count += 1
        self._handled.set()

    async def wait_handled(self, count: int) -> None:
        """Return once count updates in all have been handled since start."""
        while self.handled_count < count:
            self._handled.clear()
            await self._handled.wait()


class Chat:
    """The terminal's side of one chat: what it sends, and the bot's replies it prints."""

    def __init__(self, api: LocalBotApi, app: App, options: TryOptions, out: TextIO,
                 charts: Path, ansi: bool) -> None:  # fmt: skip
        self.api = api
        self.app = app
        self.out = out
        self.ansi = ansi
        self.charts = charts
        self.user = {"id": options.user_id, "is_bot": False, "first_name": "You"}
        if options.group:
            self.chat: dict[str, Any] = {"id": GROUP_ID, "type": "supergroup", "title": "Try"}
            api.admins[GROUP_ID] = {options.user_id}
        else:
            self.chat = {"id": options.user_id, "type": "private", "first_name": "You"}
        self._message_ids = iter(range(1, 10**9))
        self._seen_calls = len(api.calls)
        self._seen_rejections = len(api.rejections)
        self._sent = 0
        self.buttons: list[Button] = []
        self._buttons_under: int | None = None  # the message the buttons are under
        self._last_chart: Path | None = None

    async def say(self, text: str) -> None:
        """Send a line as the user: a message, or a button pressed by its number."""
        if text.isdigit() and self.buttons:
            await self.press(int(text))
        else:
            await self._push(message_update(text, self.chat, self.user, next(self._message_ids)))
        self.show()

    async def press(self, number: int) -> None:
        button = next((b for b in self.buttons if b.number == number), None)
        if button is None:
            self._print(f"(no button {number}: there are {len(self.buttons)})")
        elif button.url:
            self._print(f"(opens {button.url} in the browser)")
        elif button.callback_data and self._buttons_under is not None:
            under = {"message_id": self._buttons_under, "date": int(time.time()),
                     "chat": self.chat, "text": "…"}  # fmt: skip
            await self._push(callback_query_update(
                button.callback_data, under, self.user, str(time.monotonic_ns()), "try"
            ))  # fmt: skip
        else:
            self._print("(Share opens Telegram's chat picker: try it in Telegram itself)")

    async def _push(self, update: dict[str, Any]) -> None:
        await self.api.push_update(update)
        self._sent += 1
        processor = self.app.update_processor
        assert isinstance(processor, TryProcessor)
        await processor.wait_handled(self._sent)

    def show(self) -> None:
        """Print what the bot sent since the last time."""
        calls, self._seen_calls = self.api.calls[self._seen_calls :], len(self.api.calls)
        for call in calls:
            self._show(call)
        for method, error in self.api.rejections[self._seen_rejections :]:
            self._print(f"⚠️  Telegram would refuse this {method}: Bad Request: {error}")
        self._seen_rejections = len(self.api.rejections)

    def _show(self, call: Call) -> None:
        params = call.params
        if call.method == "answerCallbackQuery" and params.get("text"):
            self._print(f"ℹ️  {params['text']}")
            return
        if call.method not in ("sendMessage", "editMessageText", "sendPhoto"):
            return
        if not params.get("_accepted"):
            return  # refused: the rejection prints below
        if call.method == "sendPhoto":
            self._print(f"🖼  {self._chart(params)}")
            text = str(params.get("caption") or "")
        else:
            text = str(params.get("text") or "")
        if call.method == "editMessageText":
            self._print("(the message above now reads:)")
        self._print("bot> " + terminal_text(text, ansi=self.ansi).replace("\n", "\n     "))
        buttons = buttons_of(params.get("reply_markup"))
        if buttons:
            self.buttons = buttons
            self._buttons_under = self._message_id(call)
            for line in keyboard_lines(buttons):
                self._print(line)
            self._print("  (press a button by typing its number)")

    def _message_id(self, call: Call) -> int | None:
        if "message_id" in call.params:
            return int(call.params["message_id"])
        with contextlib.suppress(LookupError):
            return self.api.messages_sent_ids(call)
        return None

    def _chart(self, params: dict[str, Any]) -> str:
        photo = params.get("photo")
        if isinstance(photo, bytes):
            self._last_chart = self.charts / f"chart-{len(list(self.charts.iterdir())) + 1}.png"
            self._last_chart.write_bytes(photo)
            return f"chart saved as {self._last_chart}"
        if self._last_chart is not None:  # re-sent by the file_id Telegram gave it
            return f"the same chart as before: {self._last_chart}"
        return "a chart (sent by file_id)"

    def _print(self, line: str) -> None:
        print(line, file=self.out, flush=True)


async def try_bot(base: Settings, options: TryOptions, lines: LineSource, out: TextIO) -> int:
    """Run the bot against the local API and chat with it until /quit or the end of input."""
    ansi = out.isatty()
    charts = Path(tempfile.mkdtemp(prefix="cables-try-charts-"))
    with tempfile.TemporaryDirectory(prefix="cables-try-") as folder:
        db = Path(folder) / "cables.db"
        if options.database is not None:
            backup(options.database, db)  # a copy: the original is never opened for writing
        api = LocalBotApi()
        await api.start()
        app = build_application(
            try_settings(base, options, api, db),
            poll_feed=options.feed is not None,
            update_processor=TryProcessor,
        )
        try:
            await start_polling_app(app, poll_timeout=1)
            chat = Chat(api, app, options, out, charts, ansi)
            print(_welcome(options), file=out, flush=True)
            while True:
                line = await lines()
                if line is None or line.strip() in QUIT:
                    break
                if line.strip():
                    if not sys.stdin.isatty():
                        print(f"{PROMPT}{line.strip()}", file=out, flush=True)
                    await chat.say(line.strip())
        finally:
            await stop_app(app)
            await api.stop()
    return 0


LineSource = Callable[[], Awaitable[str | None]]


def terminal_lines(stdin: TextIO) -> LineSource:
    """Lines typed at a terminal (with readline's history and editing), or read from a pipe."""
    interactive = stdin.isatty()
    if interactive:
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401 - arrow keys and history for input()

    def read() -> str | None:
        try:
            return input(PROMPT) if interactive else (stdin.readline() or None)
        except EOFError:
            return None

    async def next_line() -> str | None:
        return await asyncio.to_thread(read)

    return next_line


def _welcome(options: TryOptions) -> str:
    who = "an editor" if options.editor else "a reader"
    where = "a group" if options.group else "a private chat"
    return (
        f"cables-bot try: the real bot on a local Bot API, you as {who} in {where}, on a"
        " throwaway copy of the database. Type /brief, /forces, /help; a number presses a"
        " button; /quit or Ctrl-D ends."
    )
