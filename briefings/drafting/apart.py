"""Drafting's work in a child process of its own, so that it never holds the bot's GIL.

Reading a post and drafting it is Python from end to end (the page's reader, pysbd, the
rules): in a thread it held the interpreter's lock against the event loop, and readers waited
at every turn of the loop while a cable was drafted (B7 in BENCHMARKS.md).

One child, started with the first job, serves every job after it, one at a time, over its
stdin and stdout: a frame is four bytes of length and a pickle. The child reads until its
stdin ends, and its stdin ends when the bot closes it or dies, however it dies (the kernel
closes a killed process's pipes): a child never outlives its bot, nor holds the bot's stdout
and stderr after it. Where the child cannot serve (it died, it hung) a job runs in a thread as
before, and the next job starts a new child.

Only the jobs named in JOBS run there, and only the bot speaks to the child.
"""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable
from typing import Any, BinaryIO, TypeVar

from briefings.drafting.drafter import draft_statements
from briefings.drafting.preview import preview_from_html

log = logging.getLogger(__name__)

_T = TypeVar("_T")
JOBS: dict[str, Callable[..., Any]] = {
    "preview_from_html": preview_from_html,
    "draft_statements": draft_statements,
}
# A job that takes longer has hung (drafting is linear in the text; a page is at most 2 MB).
JOB_SECONDS = 120.0
# At close, how long the child has to see its stdin end before it is killed.
CLOSE_SECONDS = 5.0
_LENGTH = 4


class DraftingError(Exception):
    """A job raised in the child; its message is the child's traceback."""


class _Gone(Exception):
    """The child cannot serve: it could not start, died or hung."""


class DraftingProcess:
    """The one child that drafts, started at the first job and closed with the bot."""

    def __init__(self) -> None:
        self._child: asyncio.subprocess.Process | None = None
        self._turn = asyncio.Lock()  # one job at a time: its frames must not interleave

    async def run(self, job: Callable[..., _T], *args: Any) -> _T:
        """job(*args) in the child (a function of JOBS, its arguments and result picklable);
        in a thread where the child cannot serve."""
        name = job.__name__
        if JOBS.get(name) is not job:
            raise ValueError(f"{name} is not a drafting job")
        async with self._turn:
            try:
                child = self._child or await self._start()
                reply = await asyncio.wait_for(_exchange(child, name, args), JOB_SECONDS)
            except TimeoutError:
                self._kill()  # a job that hung there would hang in a thread too
                raise DraftingError(f"{name} took over {JOB_SECONDS:.0f} s: stopped") from None
            except (_Gone, OSError, EOFError, asyncio.IncompleteReadError) as exc:
                log.warning("drafting process cannot serve (%r): this job in a thread", exc)
                self._kill()
                return await asyncio.to_thread(job, *args)
            except BaseException:
                # Cancelled mid-frame: what is left in the pipes is unknown, so is the child.
                self._kill()
                raise
        status, value = reply
        if status != "ok":
            raise DraftingError(value)
        result: _T = value
        return result

    async def close(self) -> None:
        """End the child: its stdin closed, it exits; killed if it has not within seconds."""
        child, self._child = self._child, None
        if child is None or child.returncode is not None:
            return
        if child.stdin is not None:
            child.stdin.close()
        try:
            await asyncio.wait_for(child.wait(), CLOSE_SECONDS)
        except TimeoutError:
            child.kill()
            await child.wait()

    async def _start(self) -> asyncio.subprocess.Process:
        try:
            self._child = await asyncio.create_subprocess_exec(
                sys.executable, "-m", __name__,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            )  # fmt: skip
        except OSError as exc:
            raise _Gone(f"not started: {exc}") from exc
        log.info("drafting process started pid=%s", self._child.pid)
        return self._child

    def _kill(self) -> None:
        child, self._child = self._child, None
        if child is not None and child.returncode is None:
            child.kill()  # reaped by asyncio's child watcher


async def _exchange(
    child: asyncio.subprocess.Process, name: str, args: tuple[Any, ...]
) -> tuple[str, Any]:
    if child.stdin is None or child.stdout is None:
        raise _Gone("no pipes")
    data = pickle.dumps((name, args), protocol=pickle.HIGHEST_PROTOCOL)
    child.stdin.write(len(data).to_bytes(_LENGTH, "big") + data)
    await child.stdin.drain()
    size = int.from_bytes(await child.stdout.readexactly(_LENGTH), "big")
    reply: tuple[str, Any] = pickle.loads(await child.stdout.readexactly(size))
    return reply


def serve(requests: BinaryIO, replies: BinaryIO) -> None:
    """The child's loop: each job asked, its result or its traceback; returns when the
    requests end."""
    while True:
        header = requests.read(_LENGTH)
        if len(header) < _LENGTH:
            return  # the bot closed the pipe, or is gone
        body = requests.read(int.from_bytes(header, "big"))
        name, args = pickle.loads(body)
        try:
            reply: tuple[str, Any] = ("ok", JOBS[name](*args))
        except Exception:
            reply = ("error", traceback.format_exc())
        data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        replies.write(len(data).to_bytes(_LENGTH, "big") + data)
        replies.flush()


def main() -> None:
    # A terminal's Ctrl-C reaches the whole process group: the bot handles it, and this
    # child ends when the bot closes its stdin.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The replies get a descriptor of their own, and stdout goes to stderr: a stray print
    # in a job cannot break a frame.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin.buffer, replies)


if __name__ == "__main__":
    main()
