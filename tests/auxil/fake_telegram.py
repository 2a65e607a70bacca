"""The tests' Bot API: the sandbox's local one (bot/sandbox/bot_api.py) with the controls only
tests need: scripted faults, held and slow sends, chats that blocked the bot, groups that
became supergroups, and messages their users deleted."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.plumbing.rate_limits import SEND_METHODS
from bot.sandbox.bot_api import (
    BOT_ID,
    BOT_USERNAME,
    PNG_SIGNATURE,
    TOKEN,
    Call,
    LocalBotApi,
    Refused,
    error,
    png_size,
)

__all__ = [
    "BOT_ID", "BOT_USERNAME", "PNG_SIGNATURE", "SEND_METHODS", "TOKEN", "Call", "FakeTelegram",
    "Fault", "png_size",
]  # fmt: skip


@dataclass
class Fault:
    """A scripted error answer for the next matching calls."""

    method: str
    status: int
    description: str
    retry_after: int | None = None
    remaining: int = 1
    # "answer" with the error; "drop" the connection without a word; "hang" past the
    # client's timeout before answering.
    action: str = "answer"
    chats: frozenset[int] | None = None  # only calls to these chats (None: any)


class FakeTelegram(LocalBotApi):
    """The local Bot API, with what a test sets to make Telegram misbehave or be slow."""

    def __init__(self, token: str = TOKEN, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(token, clock)
        self._faults: list[Fault] = []
        self.blocked: set[int] = set()  # chats whose user blocked the bot
        self.migrated: dict[int, int] = {}  # groups that became supergroups: old id -> new
        # Sends to these chats reach the fake this much later than they left: a slow path on
        # the way (Telegram counts a send against its limits when it arrives).
        self.slow_path: dict[int, float] = {}
        self._holds: dict[int, asyncio.Event] = {}
        self.holding: set[int] = set()  # chats whose held call has arrived and waits
        # Messages users deleted (chat id, message id): a reply to one is refused, as
        # Telegram does, unless it allows sending without the reply.
        self.deleted: set[tuple[int, int]] = set()

    def hold_next_message(self, chat_id: int) -> asyncio.Event:
        """Keep the next sendMessage or sendPhoto to chat_id unanswered until the event is set."""
        self._holds[chat_id] = asyncio.Event()
        return self._holds[chat_id]

    def fail_next(
        self,
        method: str,
        status: int,
        description: str,
        *,
        retry_after: int | None = None,
        times: int = 1,
        action: str = "answer",
        chats: frozenset[int] | None = None,
    ) -> None:
        """Answer the next `times` calls of method (to those chats) with an error (or drop,
        or hang)."""
        self._faults.append(Fault(method, status, description, retry_after, times, action, chats))

    async def _scripted(
        self, request: web.Request, method: str, params: dict[str, Any]
    ) -> web.Response | None:
        delay = self.slow_path.get(int(params.get("chat_id") or 0))
        if delay:
            await asyncio.sleep(delay)  # the fault under test: a send on a slow path
        fault = self._take_fault(method, params)
        if fault is None:
            return None
        await self._record(Call(method, params))
        if fault.action == "drop":
            assert request.transport is not None
            request.transport.close()
            raise asyncio.CancelledError  # nothing is written back
        if fault.action == "hang":
            await asyncio.sleep(fault.retry_after or 30)
        return error(fault.status, fault.description, fault.retry_after)

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        chat = params.get("chat_id")
        for fault in self._faults:
            if fault.chats is not None and (chat is None or int(chat) not in fault.chats):
                continue
            if fault.method == method and fault.remaining > 0:
                fault.remaining -= 1
                return fault
        return None

    async def _to_chat(self, method: str, chat_id: int, params: dict[str, Any]) -> None:
        if chat_id in self.blocked:
            raise Refused(403, "Forbidden: bot was blocked by the user")
        if method == "sendMessage" and chat_id in self.migrated:
            raise Refused(
                400, "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to=self.migrated[chat_id],
            )  # fmt: skip
        await self._held(chat_id)
        if method == "sendMessage":
            self._check_reply_target(chat_id, params.get("reply_parameters"))

    def _check_reply_target(self, chat_id: int, reply: object) -> None:
        if not isinstance(reply, dict):
            return
        gone = (int(reply.get("chat_id", chat_id)), int(reply["message_id"])) in self.deleted
        if gone and not reply.get("allow_sending_without_reply"):
            raise Refused(400, "Bad Request: message to be replied not found")

    async def _held(self, chat_id: int) -> None:
        hold = self._holds.pop(chat_id, None)
        if hold is not None:
            async with self._changed:
                self.holding.add(chat_id)
                self._changed.notify_all()
            await hold.wait()  # a slow round trip to this one chat, as long as the test likes
            self.holding.discard(chat_id)
