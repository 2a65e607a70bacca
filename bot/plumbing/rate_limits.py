"""Telegram's limits on what the bot sends, kept in one place: PTB's rate limiter.

Without payment a bot sends about 30 messages a second in all, across every chat, and about
20 a minute to any one group; a private chat takes short bursts. Every call the bot makes
passes here (PTB's BaseRateLimiter; getUpdates never does), and each message waits for its
place rather than meet a 429:

- Readers first: a reply takes the next free place; a push (rate_limit_args=PUSH) waits
  while any reply waits and leaves RESERVED places free for replies arriving in a burst.
  Pushes sent with allow_paid_broadcast are paid for apart (up to PAID_SENDS_PER_SECOND, in
  a second of their own) and take nothing from readers.
- Pushes go at most push_per_second (BROADCAST_RATE), evenly spaced; the push worker only
  hands them over. A push to a group that had its messages this minute is not held up for
  it: GroupMinuteSpent says when the group takes one again, and the worker defers its row.
- A place is held from when the send leaves until a second after its answer: Telegram counts
  a send when it arrives, and an answered send has arrived, so however unevenly sends travel,
  no later one can share its second there.
- A 429 that still comes pauses the chat for the wait Telegram names (and everything for at
  most a second, as much as an overall limit can need); the reply then takes its turn again,
  paced with the others, instead of all of them trying again at once. A reply is retried
  until the wait would end more than MAX_REPLY_SECONDS after it was asked for; a push's 429
  pauses every push for the whole wait and goes back to the push worker, which defers its
  row.
- A reader in a private chat still unanswered NOTICE_AFTER_SECONDS after their message
  arrived is told once, ahead of the replies, that the answer is coming (`WaitNotice`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final, Literal

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

log = logging.getLogger(__name__)

FREE_SENDS_PER_SECOND = 30
# Messages sent with allow_paid_broadcast, a second (0.1 Star each).
PAID_SENDS_PER_SECOND = 1000
GROUP_SENDS_PER_MINUTE = 20
# Places in each second a push never takes: replies to readers arriving in a burst.
RESERVED = 1
# Telegram's second, from the answer to a send (see above).
WINDOW = 1.0
# A reply that meets a 429 is tried again until the wait would end this long after it was
# asked for: past two minutes a reader has given up on it.
MAX_REPLY_SECONDS = 120.0
# A reader waiting this long for an answer is told it is coming; once in NOTICE_QUIET_SECONDS.
NOTICE_AFTER_SECONDS = 5.0
NOTICE_QUIET_SECONDS = 600.0
# The methods that send a message: what Telegram's limits count.
SEND_METHODS = frozenset({
    "sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "sendAnimation",
    "sendVideo", "sendAudio", "sendVoice", "sendSticker", "sendLocation", "sendPoll",
    "copyMessage", "forwardMessage",
})  # fmt: skip

# A push's rate_limit_args: it waits behind readers.
PUSH: Final = "push"

JSON = bool | dict[str, Any] | list[dict[str, Any]]


class GroupMinuteSpent(Exception):
    """A push to a group that had its GROUP_SENDS_PER_MINUTE this minute: not sent."""

    def __init__(self, chat_id: int, wait: float) -> None:
        super().__init__(f"group limit: chat_id={chat_id} takes another in {wait:.0f}s")
        self.wait = wait


class _Second:
    """The sends in flight, and the answers of the last WINDOW (oldest first)."""

    __slots__ = ("answers", "in_flight")

    def __init__(self) -> None:
        self.in_flight = 0
        self.answers: deque[float] = deque()

    def room_at(self, limit: int, now: float) -> float:
        """When fewer than limit places will be held (inf: not before a send in flight is
        answered)."""
        answers = self.answers
        while answers and answers[0] + WINDOW <= now:
            answers.popleft()
        over = self.in_flight + len(answers) - limit + 1
        if over <= 0:
            return now
        return answers[over - 1] + WINDOW if over <= len(answers) else math.inf


class Place:
    """A send's place in Telegram's second: held while the send is in flight and for WINDOW
    after its answer. A notice is sent with its place as rate_limit_args (taken already)."""

    __slots__ = ("given_back", "second")

    def __init__(self, second: _Second) -> None:
        self.given_back = False
        self.second = second
        second.in_flight += 1


RateLimitArgs = Literal["push"] | Place
# Sends the notice to a chat: (chat_id, seconds its answer is still about to take, the place
# the notice takes, to be given as rate_limit_args).
Notify = Callable[[int, int, Place], Awaitable[None]]

_NOTICE, _REPLY, _PUSH = 0, 1, 2  # who goes first


def retry_after_seconds(error: RetryAfter) -> float:
    """Seconds to wait from a 429, whichever type this PTB version reports it in."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


@dataclass(slots=True)
class _Waiter:
    """A private chat's message not yet answered: since when, and whether it was told."""

    since: float
    told: bool = False


class TelegramLimits(BaseRateLimiter[RateLimitArgs]):
    """Telegram's per-second, per-group and flood (429) limits, readers before pushes, and
    the pushes' own rate."""

    def __init__(
        self,
        per_second: int = FREE_SENDS_PER_SECOND,
        reserved: int = RESERVED,
        notify: Notify | None = None,
        push_per_second: float | None = None,
    ) -> None:
        # Free sends a second in all; 0 paces nothing (a Bot API without Telegram's limits).
        self.per_second = per_second
        self.reserved = reserved
        self.notify = notify
        self._free = _Second()
        self._paid = _Second()
        self._paid_turn = asyncio.Lock()  # paid pushes wait for their second one at a time
        self._paid_answered = asyncio.Event()
        # Pushes start 1/push_per_second apart (None: as fast as Telegram's limits allow).
        self._push_interval = 0.0 if push_per_second is None else 1.0 / push_per_second
        self._next_push = 0.0
        self._pushes_paused_until = 0.0
        self._levels: tuple[deque[asyncio.Future[Place]], ...] = (deque(), deque(), deque())
        self._changed = asyncio.Event()  # a send waits, or one was answered
        self._paused_until = 0.0
        self._chat_paused: dict[int, float] = {}
        self._groups: dict[int, deque[float]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._dispatcher: asyncio.Task[None] | None = None
        self.notices = WaitNotice(self)

    async def initialize(self) -> None:
        """Nothing to open: the dispatcher starts with the first send that waits."""

    async def shutdown(self) -> None:
        for task in [self._dispatcher, *list(self._tasks)]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._dispatcher = None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: RateLimitArgs | None,
    ) -> JSON:
        if isinstance(rate_limit_args, Place):  # a notice: its place is taken already
            try:
                return await callback(*args, **kwargs)
            finally:
                self.give_back(rate_limit_args)
        chat_id = _chat_id(data.get("chat_id"))
        if endpoint not in SEND_METHODS:  # not counted (edits, answers): only 429s obeyed
            return await self._retrying(callback, args, kwargs, chat_id, push=False)
        push = rate_limit_args == PUSH
        paid = bool(data.get("allow_paid_broadcast"))
        return await self._retrying(callback, args, kwargs, chat_id, push=push, paid=paid)

    async def _retrying(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        chat_id: int | None,
        *,
        push: bool,
        paid: bool | None = None,
    ) -> JSON:
        """Send when its turn comes (paid None: not a message); on a 429, take a new turn
        after the wait Telegram names."""
        asked = time.monotonic()
        while True:
            place = await self._turn(chat_id, push=push, paid=paid)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait = retry_after_seconds(exc)
                self._pause(chat_id, wait, push=push)
                if push or time.monotonic() + wait - asked > MAX_REPLY_SECONDS:
                    raise
                log.info("telegram flood control: chat_id=%s again in %.1fs", chat_id, wait)
            finally:
                if place is not None:
                    self.give_back(place)

    async def _turn(self, chat_id: int | None, *, push: bool, paid: bool | None) -> Place | None:
        """Wait for a call's turn: its chat's pause, a group's minute, a push's pace and, for
        a message, its place in Telegram's second (returned)."""
        if chat_id is not None:
            await self._chat_turn(chat_id, counted=paid is not None, push=push)
        if paid is None:
            return None
        if push:
            await self._push_turn()
        place = None
        if self.per_second > 0:  # (0: a Bot API without Telegram's limits)
            place = await (self._paid_place() if paid else self.take(_PUSH if push else _REPLY))
        if not paid and not push:
            self.notices.answered(chat_id)
        if chat_id is not None and chat_id < 0:
            self._groups.setdefault(chat_id, deque()).append(time.monotonic())
        return place

    async def _chat_turn(self, chat_id: int, *, counted: bool, push: bool) -> None:
        """Wait out a 429's pause for this chat and, for a reply to a group, its minute; a
        push to a group whose minute is spent is refused (GroupMinuteSpent)."""
        while (until := self._chat_paused.get(chat_id, 0.0)) > time.monotonic():
            await asyncio.sleep(until - time.monotonic())
        self._chat_paused.pop(chat_id, None)
        if not counted or chat_id >= 0:
            return
        while (wait := self.group_wait(chat_id)) > 0:
            if push:
                raise GroupMinuteSpent(chat_id, wait)
            await asyncio.sleep(wait)

    async def _push_turn(self) -> None:
        """Wait for a push's slot at push_per_second, and out any pause a push's 429 named."""
        now = time.monotonic()
        slot = max(self._next_push, now, self._pushes_paused_until)
        self._next_push = slot + self._push_interval
        # A 429 met while this push waited for its slot holds it too.
        while slot > now:
            await asyncio.sleep(slot - now)
            now, slot = time.monotonic(), self._pushes_paused_until

    async def _paid_place(self) -> Place:
        """A paid push's place in its own second (Telegram's PAID_SENDS_PER_SECOND)."""
        async with self._paid_turn:
            while (at := self._paid.room_at(PAID_SENDS_PER_SECOND, now := time.monotonic())) > now:
                if at == math.inf:  # every place is in flight: the next answer frees one
                    self._paid_answered.clear()
                    await self._paid_answered.wait()
                else:
                    await asyncio.sleep(at - now)
            return Place(self._paid)

    def group_wait(self, chat_id: int) -> float:
        """Seconds until a group can take another message (0 for private chats)."""
        if chat_id >= 0:
            return 0.0
        now = time.monotonic()
        sent = self._groups.get(chat_id)
        while sent and sent[0] <= now - 60.0:
            sent.popleft()
        if not sent:
            self._groups.pop(chat_id, None)
            return 0.0
        if len(sent) < GROUP_SENDS_PER_MINUTE:
            return 0.0
        return sent[len(sent) - GROUP_SENDS_PER_MINUTE] + 60.0 - now

    def _pause(self, chat_id: int | None, wait: float, *, push: bool) -> None:
        now = time.monotonic()
        if chat_id is not None:
            self._chat_paused[chat_id] = max(self._chat_paused.get(chat_id, 0.0), now + wait)
        if push:  # a broadcast met Telegram's flood control: all of it waits
            self._pushes_paused_until = max(self._pushes_paused_until, now + wait)
        # Telegram's overall limit is per second: no longer wait can be about all chats.
        self._paused_until = max(self._paused_until, now + min(wait, WINDOW))
        self._changed.set()

    async def take(self, level: int) -> Place:
        """A free send's place, in its turn: notices, then replies, then pushes."""
        if not any(self._levels[: level + 1]):
            now = time.monotonic()
            if now >= self._paused_until and self._free.room_at(self._limit(level), now) <= now:
                return Place(self._free)
        waiter: asyncio.Future[Place] = asyncio.get_running_loop().create_future()
        self._levels[level].append(waiter)
        self._changed.set()
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.create_task(self._dispatch(), name="send-turns")
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.give_back(waiter.result())  # given its place as it was cancelled
            raise

    def _limit(self, level: int) -> int:
        return self.per_second - (self.reserved if level == _PUSH else 0)

    def give_back(self, place: Place) -> None:
        """The send holding place is over (answered or failed): its second starts now."""
        if not place.given_back:
            place.given_back = True
            place.second.in_flight -= 1
            place.second.answers.append(time.monotonic())
            if place.second is self._paid:
                self._paid_answered.set()
            else:
                self._changed.set()

    async def _dispatch(self) -> None:
        """Hand out places to the sends that wait, one at a time, first level first."""
        while True:
            self._changed.clear()
            level = next((n for n, waiters in enumerate(self._levels) if _live(waiters)), None)
            if level is None:
                await self._changed.wait()
                continue
            now = time.monotonic()
            limit = self._limit(level)
            at = max(self._paused_until, self._free.room_at(limit, now))
            if at <= now:
                self._levels[level].popleft().set_result(Place(self._free))
                continue
            # Woken by a change, or by a timer at the room's time: asyncio.wait_for would make
            # a task of each wait and cancel it at the timeout, several more turns of the loop
            # for each send that waits (B3's pushes at 30 a second: 2.2 times the turns).
            timer = None if at == math.inf else asyncio.get_running_loop().call_later(
                at - now, self._changed.set
            )  # fmt: skip
            try:
                await self._changed.wait()
            finally:
                if timer is not None:
                    timer.cancel()

    def waiting(self, level: int = _NOTICE) -> int:
        """Sends waiting at this level."""
        return len(self._levels[level])

    def spawn(self, coroutine: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        """A task of the limiter's own, cancelled at shutdown."""
        task = asyncio.create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task


class WaitNotice:
    """Tells a reader whose answer is long in coming, once, that it is coming and about when.

    It sees each private chat's messages as they arrive (`arrived`, the updates as Telegram
    sent them) and as they are handled (`handled`); a send to the chat is its answer. Chats
    unanswered NOTICE_AFTER_SECONDS after they asked hear, ahead of the replies, about how
    long their answer still takes: the chats that asked before them and are not answered
    yet, each as many sends as an update takes lately, at the limiter's rate.
    """

    def __init__(self, limits: TelegramLimits) -> None:
        self.limits = limits
        self._waiting: dict[int, _Waiter] = {}  # in the order they asked
        self._in_hand: dict[int, int] = {}  # each waiting chat's updates not yet handled
        self._updates: dict[int, int] = {}  # update_id -> chat_id
        self._told: dict[int, float] = {}
        self._watch: asyncio.Task[None] | None = None
        self._replies = 0  # replies sent, and updates handled: sends per update
        self._handled = 0

    def arrived(self, bodies: object) -> None:
        """Updates as Telegram sent them (a getUpdates answer, or one webhook body)."""
        if self.limits.notify is None or self.limits.per_second <= 0:
            return
        now = time.monotonic()
        for body in bodies if isinstance(bodies, list) else [bodies]:
            update_id, chat_id = _private_message(body)
            if chat_id is None or now - self._told.get(chat_id, -math.inf) < NOTICE_QUIET_SECONDS:
                continue
            self._updates[update_id] = chat_id
            self._in_hand[chat_id] = self._in_hand.get(chat_id, 0) + 1
            self._waiting.setdefault(chat_id, _Waiter(now))
        if self._waiting and (self._watch is None or self._watch.done()):
            self._watch = self.limits.spawn(self._watch_waiting(), name="wait-notices")

    def handled(self, update_id: int) -> None:
        """An update's handling ended: a chat with none left in hand waits for nothing."""
        self._handled += 1
        chat_id = self._updates.pop(update_id, None)
        if chat_id is None:
            return
        left = self._in_hand.pop(chat_id, 1) - 1
        if left > 0:
            self._in_hand[chat_id] = left
        else:
            self._waiting.pop(chat_id, None)

    def answered(self, chat_id: int | None) -> None:
        """A reply leaves for this chat now: it needs no notice."""
        self._replies += 1
        if chat_id is not None and self._waiting:
            self._waiting.pop(chat_id, None)

    def sends_per_update(self) -> float:
        """Replies an update takes lately (/forces two: the chart, then its text)."""
        return min(3.0, max(1.0, self._replies / self._handled)) if self._handled >= 20 else 1.0

    async def _watch_waiting(self) -> None:
        while self._waiting:
            await asyncio.sleep(0.5)
            now = time.monotonic()
            due = [(n, chat_id) for n, (chat_id, waiter) in enumerate(self._waiting.items())
                   if not waiter.told and now - waiter.since >= NOTICE_AFTER_SECONDS]  # fmt: skip
            # The notices go first: each reader's answer comes after all of them.
            notices = self.limits.waiting() + len(due)
            for ahead, chat_id in due:
                self._waiting[chat_id].told = True
                self._told[chat_id] = now
                sends = notices + (ahead + 1) * self.sends_per_update()
                seconds = 5 * math.ceil(sends / self.limits.per_second / 5)
                self.limits.spawn(self._tell(chat_id, seconds), name="wait-notice")
            if len(self._told) > 10_000:
                self._told = {c: t for c, t in self._told.items()
                              if now - t < NOTICE_QUIET_SECONDS}  # fmt: skip

    async def _tell(self, chat_id: int, seconds: int) -> None:
        place = await self.limits.take(_NOTICE)
        try:
            if chat_id in self._waiting and self.limits.notify is not None:
                await self.limits.notify(chat_id, seconds, place)
        except Exception:
            log.exception("could not tell chat_id=%s that its answer is coming", chat_id)
        finally:
            self.limits.give_back(place)


def _live(waiters: deque[asyncio.Future[Place]]) -> bool:
    """Whether a send still waits here (those cancelled meanwhile are dropped)."""
    while waiters and waiters[0].done():
        waiters.popleft()
    return bool(waiters)


def _chat_id(value: object) -> int | None:
    if isinstance(value, int):
        return value
    with contextlib.suppress(TypeError, ValueError):
        return int(str(value))
    return None  # a channel's @username: no limit of ours applies


def _private_message(body: object) -> tuple[int, int | None]:
    """The update_id and, for a message in a private chat (what always gets a message back),
    its chat."""
    if not isinstance(body, dict) or not isinstance(update_id := body.get("update_id"), int):
        return 0, None
    message = body.get("message")
    chat = message.get("chat") if isinstance(message, dict) else None
    if not isinstance(chat, dict) or chat.get("type") != "private":
        return update_id, None
    chat_id = chat.get("id")
    return update_id, chat_id if isinstance(chat_id, int) else None
