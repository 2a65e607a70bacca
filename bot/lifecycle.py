"""Starting and stopping the Application: in an event loop someone else runs, in the order
run_polling keeps (the tests, `cables-bot try` and webhook mode's server use it), and the
Bot API reached at start, tried again while it cannot be (`cables-bot run`, both modes)."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.error import NetworkError

from bot.context import App

log = logging.getLogger(__name__)

# The pauses between tries while the Bot API cannot be reached at start: 1 s, then half as
# long again each time (PTB's bootstrap_retries backoff), at most 30 s, the last one cut so
# that all of them end BOOT_RETRY_SECONDS after the first try.
FIRST_PAUSE = 1.0
LONGEST_PAUSE = 30.0


class BotApiUnreachable(Exception):
    """The Bot API could not be reached at start within BOOT_RETRY_SECONDS (one line)."""


async def start_polling_app(app: App, poll_timeout: int) -> None:
    """Initialise, run post_init, start polling (getUpdates long-polls poll_timeout s)."""
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    assert app.updater is not None
    await app.updater.start_polling(allowed_updates=Update.ALL_TYPES, timeout=poll_timeout)
    await app.start()


async def stop_app(app: App) -> None:
    """Stop what runs, then post_stop, shutdown and post_shutdown, as run_polling does."""
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    if app.post_stop is not None:
        await app.post_stop(app)
    await app.shutdown()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)


def pauses_within(seconds: float, first: float = FIRST_PAUSE) -> list[float]:
    """The pauses still to come in seconds: from first, half as long again each time (at most
    LONGEST_PAUSE), the last one cut to end the time left."""
    pauses: list[float] = []
    pause = first
    while seconds > 0.01:  # not a retry for what float arithmetic leaves over
        pauses.append(min(pause, seconds))
        seconds -= pauses[-1]
        pause = min(pause * 1.5, LONGEST_PAUSE)
    return pauses


async def reach_bot_api(
    app: App, seconds: float, then: Callable[[], Awaitable[object]] | None = None
) -> None:
    """app.initialize() (its getMe), and then `then` in the same try, tried again while the
    Bot API cannot be reached, for `seconds` in all, each retry logged as it is decided (PTB's
    own bootstrap_retries log theirs at DEBUG only: silent at the default INFO). A rejected
    token is not retried. Raises BotApiUnreachable when the time is up."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    pause, tries = FIRST_PAUSE, 0
    while True:
        tries += 1
        try:
            await app.initialize()
            if then is not None:
                await then()
            return
        except NetworkError as exc:  # InvalidToken is not one: it goes straight up
            pauses = pauses_within(deadline - loop.time(), pause)
            if not pauses:
                raise BotApiUnreachable(
                    f"could not reach the Bot API at TELEGRAM_API_URL in {_tries(tries)} over"
                    f" {seconds:g} s (BOOT_RETRY_SECONDS): {exc.message}"
                ) from exc
            log.warning(
                "could not reach the Bot API at TELEGRAM_API_URL (%s): trying again in %.1f s,"
                " %s left", exc.message, pauses[0], _tries(len(pauses)),
            )  # fmt: skip
            await asyncio.sleep(pauses[0])
            pause = min(pause * 1.5, LONGEST_PAUSE)


def run_polling(app: App, boot_retry_seconds: float) -> None:
    """Reach the Bot API (reach_bot_api: the getMe and the deleteWebhook polling needs), then
    app.run_polling until SIGINT or SIGTERM. A signal while it is still trying stops quietly."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)  # run_polling takes the current loop: this one
    try:
        reached = loop.run_until_complete(
            _unless_signalled(reach_bot_api(app, boot_retry_seconds, app.bot.delete_webhook))
        )
    except BaseException:
        loop.run_until_complete(app.bot.shutdown())  # the HTTP sessions the tries opened
        loop.close()
        raise
    if not reached:
        loop.run_until_complete(app.bot.shutdown())
        loop.close()
        log.info("stopped before the Bot API was reached")
        return
    # Reached a moment ago: PTB's own bootstrap (initialize, deleteWebhook) need not retry.
    app.run_polling(allowed_updates=Update.ALL_TYPES, bootstrap_retries=0)


def _tries(n: int) -> str:
    return f"{n} try" if n == 1 else f"{n} tries"


async def _unless_signalled(work: Coroutine[Any, Any, None]) -> bool:
    """Run work until done (True) or until SIGINT or SIGTERM cancels it (False): a stop while
    the Bot API is still tried is an ordinary one (run_polling handles signals after it)."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(work)
    stops = (signal.SIGINT, signal.SIGTERM)
    for sig in stops:
        loop.add_signal_handler(sig, task.cancel)
    try:
        await task
        return True
    except asyncio.CancelledError:
        if not task.cancelled():
            raise
        return False
    finally:
        for sig in stops:
            loop.remove_signal_handler(sig)
