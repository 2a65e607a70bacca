"""The Python interpreter tuned for one event loop that answers readers, with threads beside it.

Two of the interpreter's defaults hold a reader's reply up for work that is not theirs:

- Garbage collection. A full collection walks every object the process holds. Start-up builds
  most of them (PTB, aiohttp, jinja2, pydantic, and matplotlib with the first chart: about
  130,000) and they live as long as the process, so each full collection walked them all for
  nothing: 45-80 ms on the event loop (B7 in BENCHMARKS.md). Once start-up is over they are
  frozen: no longer walked, and never freed before stop (nor anything only they reach).
  Objects made afterwards are collected as before.
- The GIL's switch interval. Work handed to a thread (a feed parsed by feedparser, a chart
  drawn by matplotlib) is Python too and holds the GIL; the event loop, woken by a reader's
  update, gets it only once that thread is asked to let go, after the switch interval (5 ms
  by default), and again at each of the handful of wake-ups a reply takes. At 1 ms a parse
  beside them costs readers far less (B7's p99 beside a feed parse a second: 13.0 ms at
  5 ms, 9.1 ms at 1 ms).

Both act on the whole process, so `cables-bot run` alone sets them (bot/cli.py): its process
is the bot's until it exits. An Application never does: the tests run many in one process,
and `cables-bot try` runs in an operator's.
"""

from __future__ import annotations

import gc
import logging
import sys

log = logging.getLogger(__name__)

SWITCH_INTERVAL_SECONDS = 0.001


def favour_the_event_loop() -> None:
    """At the bot's start: a thread holding the GIL is asked to let go of it after 1 ms."""
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)


def freeze_startup_heap() -> None:
    """Once start-up is over (the first chart drawn): set every object alive aside from
    future collections, until the process exits. Not collected first: that one full
    collection held readers' replies 85 ms (B4, where readers ask from the first second), so
    what start-up left as garbage is kept, the first chart's among it (its 6.5 MB drawing
    buffer, which only a full collection frees)."""
    gc.freeze()
    log.info("start-up over: %d objects set aside from garbage collection", gc.get_freeze_count())
