"""Drain the outbox: hand each due row to a send, retry faults, defer 429s, mark blocks.

When a push may go (BROADCAST_RATE, Telegram's limits, readers first, a 429's pause) the
bot's rate limiter decides (bot/plumbing/rate_limits.py); the worker only caps how many
rows it holds in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Awaitable, Callable

from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.plumbing.rate_limits import PUSH, GroupMinuteSpent, RateLimitArgs, retry_after_seconds
from bot.push.holds import OnHold
from bot.push.messages import Push
from bot.push.outbox import Delivery, Outbox, Outcome, Result

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 300.0
IDLE_WAKE_SECONDS = 60.0

Compose = Callable[[Delivery], Awaitable[Push | None]]
# Told of each push Telegram accepted (an update push: the reader has now heard of its span).
OnSent = Callable[[Delivery], Awaitable[None]]

# Telegram's 400s about the message itself, not the chat: every subscriber would get the
# same answer, so the first one stops that cable's delivery.
_CONTENT_REFUSAL = re.compile(
    r"can't parse|too long|url.*invalid|invalid.*url|wrong http url|url host|unsupported url"
    r"|wrong port|must be non-empty|text is empty|button_|reply markup|entit",
    re.IGNORECASE,
)


def is_content_refusal(error: BadRequest) -> bool:
    """Whether Telegram refused a message for what it says (its text, links or buttons)."""
    return bool(_CONTENT_REFUSAL.search(error.message))


class PushWorker:
    """One background task that hands what the outbox holds to sends, at BROADCAST_RATE."""

    def __init__(
        self,
        outbox: Outbox,
        bot: ExtBot[RateLimitArgs],
        compose: Compose,
        rate: float,
        on_hold: OnHold,
        paid: bool = False,
        on_sent: OnSent | None = None,
    ) -> None:
        self.outbox = outbox
        self.bot = bot
        self.compose = compose
        self.on_hold = on_hold
        self.on_sent = on_sent
        # Pushes sent with allow_paid_broadcast; the rate limiter counts them apart.
        self.paid = paid
        # Cables refused for their content in this batch: the rest of it skips them.
        self._held: set[str] = set()
        # The rate (BROADCAST_RATE, kept by the rate limiter) only sizes what is held here.
        # Outcomes are written in batches; a hard kill can re-send at most one batch plus
        # what is in flight, so both stay small at low rates.
        self.flush_every = max(5, int(rate * 0.2))
        # Each batch ends by waiting for its last sends; ten seconds' worth keeps those
        # pauses rare (B3 in BENCHMARKS.md) and the rows in memory few (10,000 at 1,000/s).
        self.batch_size = max(100, int(rate * 10))
        self.max_attempts = MAX_ATTEMPTS
        self.backoff_base = BACKOFF_BASE_SECONDS
        # Rows handed to sends and not yet answered: a tenth of a second's worth.
        self._in_flight = asyncio.Semaphore(max(4, min(100, int(rate / 10))))
        self._results: list[Result] = []
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="push-worker")

    def wake(self) -> None:
        """New rows are waiting: stop idling."""
        self._wake.set()

    async def stop(self, timeout: float = 10.0) -> None:
        """Take no new rows, let in-flight sends finish, write their outcomes."""
        self._stopping = True
        self._wake.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            log.warning("push worker stopped before its sends finished; they resume at start")
        self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            try:
                handled = await self.drain_once()
            except Exception:
                log.exception("push worker failed a round; retrying")
                handled = 0
                await self._idle(1.0)
            if handled == 0 and not self._stopping:
                next_at = await self.outbox.next_retry_at()
                wait = IDLE_WAKE_SECONDS if next_at is None else next_at - time.time()
                await self._idle(min(IDLE_WAKE_SECONDS, max(0.01, wait)))

    async def _idle(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()

    async def drain_once(self) -> int:
        """Send one batch of due rows; return how many were taken."""
        deliveries = await self.outbox.due(self.batch_size)
        self._held.clear()  # held rows are parked: no later batch holds them
        tasks: set[asyncio.Task[None]] = set()
        try:
            for delivery in deliveries:
                if self._stopping:
                    break
                if delivery.cable_id in self._held:
                    continue  # refused for its content: the hold parks its rows, unsent
                # A place among the sends in flight; its turn to go the rate limiter gives.
                await self._in_flight.acquire()
                task = asyncio.create_task(self._deliver(delivery))
                task.add_done_callback(self._delivered)
                tasks.add(task)
                if len(self._results) >= self.flush_every:
                    await self._flush()
        finally:
            # Every send taken is waited for, whatever stopped the loop: rows still being
            # sent must not be handed to the next batch as due.
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
        await self._flush()
        sent = len(tasks)
        if sent:
            log.info("push progress sent_batch=%d", sent)
        return sent

    def _delivered(self, _: object) -> None:
        """A push's send is over, whatever came of it: its place in flight is handed back."""
        self._in_flight.release()

    async def _deliver(self, delivery: Delivery) -> None:
        if delivery.cable_id in self._held:
            return  # its row stays pending; the hold parks it
        try:
            push = await self.compose(delivery)
            if push is None:
                self._results.append(Result(delivery, "cancelled", "nothing to send any more"))
                return
            await self.bot.send_message(
                delivery.chat_id, push.text, reply_markup=push.markup,
                allow_paid_broadcast=True if self.paid else None, rate_limit_args=PUSH,
            )  # fmt: skip
        except GroupMinuteSpent as exc:  # the group had its 20 messages this minute
            self._results.append(
                Result(delivery, "deferred", "group limit", time.time() + exc.wait)
            )
        except RetryAfter as exc:  # the rate limiter pauses the other pushes for it
            wait = retry_after_seconds(exc)
            log.warning("telegram flood control: pushes paused for %.1fs", wait)
            self._results.append(Result(delivery, "deferred", str(exc), time.time() + wait))
        except ChatMigrated as exc:
            # A group that became a supergroup: the push goes to the new id, now.
            self._results.append(
                Result(delivery, "migrated", exc.message, new_chat_id=exc.new_chat_id)
            )
            self._wake.set()
        except Forbidden as exc:
            self._results.append(Result(delivery, "blocked", exc.message))
        except BadRequest as exc:
            if delivery.kind == "cable" and delivery.cable_id and is_content_refusal(exc):
                self._held.add(delivery.cable_id)
                log.warning("push of cable id=%s refused for its content: %s",
                            delivery.cable_id, exc.message)  # fmt: skip
                self._results.append(Result(delivery, "held", exc.message))
                return
            # "chat not found": the chat is gone. Anything else will not improve by retrying.
            outcome: Outcome = "blocked" if "chat not found" in exc.message.lower() else "failed"
            self._results.append(Result(delivery, outcome, exc.message))
        except (TelegramError, OSError) as exc:
            self._results.append(self._retry_or_fail(delivery, str(exc) or type(exc).__name__))
        except Exception as exc:
            log.exception("could not push to chat_id=%s", delivery.chat_id)
            self._results.append(self._retry_or_fail(delivery, type(exc).__name__))
        else:
            self._results.append(Result(delivery, "sent"))
            if self.on_sent is not None:
                try:
                    await self.on_sent(delivery)
                except Exception:  # sent all the same: never to be retried for this
                    log.exception("after the push to chat_id=%s", delivery.chat_id)

    def _retry_or_fail(self, delivery: Delivery, error: str) -> Result:
        attempts = delivery.attempts + 1
        if attempts >= self.max_attempts:
            log.warning("push failed for good chat_id=%s after %d attempts: %s",
                        delivery.chat_id, attempts, error)  # fmt: skip
            return Result(delivery, "failed", f"after {attempts} attempts: {error}")
        backoff = min(BACKOFF_CAP_SECONDS, self.backoff_base**attempts)
        return Result(delivery, "retry", error, time.time() + backoff)

    async def _flush(self) -> None:
        results, self._results = self._results, []
        try:
            held = await self.outbox.record(results)
        except BaseException:
            self._results[:0] = results  # kept for the next flush: a "sent" lost is re-sent
            raise
        for cable_id, reason in held:
            try:
                await self.on_hold(cable_id, reason)
            except Exception:
                log.exception("could not tell the editors that cable id=%s is held", cable_id)
