"""Drafting's work in a process of its own, so that it never holds the bot's GIL.

Reading a post and drafting it is Python from end to end (pysbd, the rules, the page's
reader): run in a thread, it held the interpreter's lock against the event loop, and readers
waited at each turn of the loop while a cable was drafted (B7 in BENCHMARKS.md: /forces' p99
beside published cables 24 ms drafted in a thread, 16 ms not drafted). One worker process,
spawned with the first draft (a fork would copy the bot's threads), serves every draft after
it; where it cannot (killed, out of memory) the draft runs in a thread as before, and the
next one starts a new process.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

log = logging.getLogger(__name__)

_T = TypeVar("_T")
_pool: ProcessPoolExecutor | None = None


async def run_apart(function: Callable[..., _T], *args: Any) -> _T:
    """function(*args) in the drafting process (a module-level function, its arguments and
    result picklable); in a thread where that process is gone."""
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    try:
        return await asyncio.get_running_loop().run_in_executor(_pool, function, *args)
    except BrokenProcessPool as exc:
        log.warning("drafting process gone (%s): this draft in a thread, a new process next", exc)
        _pool = None
        return await asyncio.to_thread(function, *args)
