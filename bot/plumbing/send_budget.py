"""Telegram's limits on what a bot sends, kept on this side so that readers never meet them.

Without payment a bot sends about 30 messages a second in all, across every chat: replies
to readers and pushes to subscribers share that one budget. Readers go first: a reply
takes any free place in the last second (and when pushes have filled it, waits for the next
place to free, milliseconds at the ceiling, rather than meet a 429), while a push leaves
RESERVED places free for replies and takes none while a reply waits. Pushes sent with
allow_paid_broadcast (PAID_BROADCAST) are paid for and counted apart, so they take nothing
from readers. A group takes about 20 messages a minute, whoever sends them.

Every send is counted where it leaves (bot/plumbing/telegram_http.py), so nothing that
sends can forget to. It holds its place from then until a second after Telegram answered
it: Telegram counts a send when it arrives, and a send answered has arrived, so however
unevenly sends travel, no later one can share its second there (counted from departure, a
send delayed on its way by a stall of 20 ms met a 429).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from contextvars import ContextVar
from itertools import islice

FREE_SENDS_PER_SECOND = 30
GROUP_SENDS_PER_MINUTE = 20
# Places in each second a push never takes: replies to readers arriving in a burst.
RESERVED = 1
# Telegram's second, from the answer to a send (see above).
WINDOW = 1.0
SEND_METHODS = frozenset({
    "sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "sendAnimation",
    "sendVideo", "sendAudio", "sendVoice", "sendSticker", "sendLocation", "sendPoll",
    "copyMessage", "forwardMessage",
})  # fmt: skip

# Set in a push's own task: its send was already given its place by wait_for_push.
PUSHING: ContextVar[bool] = ContextVar("pushing", default=False)


class Place:
    """A free send's place in Telegram's second: held while the send is in flight, and for
    WINDOW after its answer."""

    __slots__ = ("answered_at",)

    def __init__(self) -> None:
        self.answered_at = math.inf


class SendBudget:
    """The free sends of the last second, and each group's of the last minute."""

    def __init__(self, per_second: int = FREE_SENDS_PER_SECOND, reserved: int = RESERVED):
        self.per_second = per_second
        self.reserved = reserved
        self._free: deque[Place] = deque()  # oldest send first
        self._pushes: deque[Place] = deque()  # the pushes among the free sends
        self._answer = asyncio.Event()  # set as each send is answered
        self._replies_waiting = 0
        self._groups: dict[int, deque[float]] = {}

    def _prune(self, now: float) -> None:
        for places in (self._free, self._pushes):
            while places and places[0].answered_at + WINDOW <= now:
                places.popleft()

    def _room_at(self, limit: int, now: float) -> float:
        """When fewer than limit places will be held (inf: not before a send in flight is
        answered). Places leave oldest first, so a later one freed early waits its turn."""
        self._prune(now)
        over = len(self._free) - limit + 1
        if over <= 0:
            return now
        return max(place.answered_at for place in islice(self._free, over)) + WINDOW

    async def _until(self, at: float, now: float) -> None:
        if at == math.inf:
            self._answer.clear()
            await self._answer.wait()
        else:
            await asyncio.sleep(at - now)

    def answered(self, place: Place) -> None:
        """The send holding place has its answer (or failed): its second starts now."""
        if place.answered_at == math.inf:
            place.answered_at = time.monotonic()
            self._answer.set()

    async def wait_for_push(self) -> Place:
        """Wait until a push may take a free place (leaving the reserved ones), and take it;
        the pusher hands it back to `answered` once its send is over."""
        while True:
            now = time.monotonic()
            at = self._room_at(self.per_second - self.reserved, now)
            if self._replies_waiting:
                at = max(at, now + 0.005)  # readers first: a reply is waiting for a place
            if at <= now:
                place = Place()
                self._free.append(place)
                self._pushes.append(place)
                return place
            await self._until(at, now)

    async def before_send(self, method: str, chat_id: object, paid: bool) -> Place | None:
        """Count a message as it leaves (a push's free send was counted by wait_for_push),
        and return its place, for `answered`; a reply that finds the last second full while
        pushes hold places in it waits."""
        if method not in SEND_METHODS:
            return None
        now = time.monotonic()
        if isinstance(chat_id, int) and chat_id < 0:
            self._group(chat_id, now).append(now)
        if paid or PUSHING.get():
            return None
        self._prune(now)
        # A reply waits only for places pushes hold, so with none it skips scanning the
        # second (readers alone may hold thousands of places in it).
        if self._pushes and (at := self._room_at(self.per_second, now)) > now:
            # The place that frees next is this reply's: pushes wait while a reply does.
            self._replies_waiting += 1
            try:
                while at > now and self._pushes:
                    await self._until(at, now)
                    now = time.monotonic()
                    at = self._room_at(self.per_second, now)
            finally:
                self._replies_waiting -= 1
        place = Place()
        self._free.append(place)
        return place

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
