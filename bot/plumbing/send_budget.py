"""Telegram's limits on what a bot sends, kept on this side so that readers never meet them.

Without payment a bot sends about 30 messages a second in all, across every chat: replies
to readers and pushes to subscribers share that one budget. Readers go first: a reply
takes any free place in the last second (and when pushes have filled it, waits for the next
place to free, milliseconds at the ceiling, rather than meet a 429), while a push leaves
RESERVED places free for replies and takes none while a reply waits. Pushes sent with
allow_paid_broadcast (PAID_BROADCAST) are paid for and counted apart, so they take nothing
from readers. A group takes about 20 messages a minute, whoever sends them.

Every send is counted where it leaves (bot/plumbing/telegram_http.py), so nothing that
sends can forget to.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from contextvars import ContextVar

FREE_SENDS_PER_SECOND = 30
GROUP_SENDS_PER_MINUTE = 20
# Places in each second a push never takes: replies to readers arriving in a burst.
RESERVED = 1
# Telegram's second, with a margin: sends counted here as they leave arrive a little later
# and unevenly, and it counts them as they arrive.
WINDOW = 1.02
SEND_METHODS = frozenset({
    "sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "sendAnimation",
    "sendVideo", "sendAudio", "sendVoice", "sendSticker", "sendLocation", "sendPoll",
    "copyMessage", "forwardMessage",
})  # fmt: skip

# Set in a push's own task: its send was already given its place by wait_for_push.
PUSHING: ContextVar[bool] = ContextVar("pushing", default=False)


class SendBudget:
    """The free sends of the last second, and each group's of the last minute."""

    def __init__(self, per_second: int = FREE_SENDS_PER_SECOND, reserved: int = RESERVED):
        self.per_second = per_second
        self.reserved = reserved
        self._free: deque[float] = deque()
        self._pushes: deque[float] = deque()  # the pushes among the free sends
        self._replies_waiting = 0
        self._groups: dict[int, deque[float]] = {}

    def _prune(self, now: float) -> None:
        while self._free and self._free[0] <= now - WINDOW:
            self._free.popleft()
        while self._pushes and self._pushes[0] <= now - WINDOW:
            self._pushes.popleft()

    def _room_at(self, limit: int, now: float) -> float:
        """When the free sends of the last second will be fewer than limit."""
        self._prune(now)
        if len(self._free) < limit:
            return now
        return self._free[len(self._free) - limit] + WINDOW

    async def wait_for_push(self) -> None:
        """Wait until a push may take a free place (leaving the reserved ones), and take it."""
        while True:
            now = time.monotonic()
            at = self._room_at(self.per_second - self.reserved, now)
            if self._replies_waiting:
                at = max(at, now + 0.005)  # readers first: a reply is waiting for a place
            if at <= now:
                self._free.append(now)
                self._pushes.append(now)
                return
            await asyncio.sleep(at - now)

    async def before_send(self, method: str, chat_id: object, paid: bool) -> None:
        """Count a message as it leaves (a push's free send was counted by wait_for_push);
        a reply that finds the last second full while pushes hold places in it waits."""
        if method not in SEND_METHODS:
            return
        now = time.monotonic()
        if isinstance(chat_id, int) and chat_id < 0:
            self._group(chat_id, now).append(now)
        if paid or PUSHING.get():
            return
        at = self._room_at(self.per_second, now)
        if at > now and self._pushes:
            # The place that frees next is this reply's: pushes wait while a reply does.
            self._replies_waiting += 1
            try:
                while at > now and self._pushes:
                    await asyncio.sleep(at - now)
                    now = time.monotonic()
                    at = self._room_at(self.per_second, now)
            finally:
                self._replies_waiting -= 1
        self._free.append(now)

    def group_wait(self, chat_id: int) -> float:
        """Seconds until a group can take another message (0 for private chats)."""
        if chat_id >= 0:
            return 0.0
        now = time.monotonic()
        sent = self._group(chat_id, now)
        if len(sent) < GROUP_SENDS_PER_MINUTE:
            return 0.0
        return sent[len(sent) - GROUP_SENDS_PER_MINUTE] + 60.0 - now

    def _group(self, chat_id: int, now: float) -> deque[float]:
        sent = self._groups.setdefault(chat_id, deque())
        while sent and sent[0] <= now - 60.0:
            sent.popleft()
        return sent
