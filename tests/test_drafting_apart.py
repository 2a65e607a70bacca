"""Drafting in a child process (briefings/drafting/apart.py): the same drafts as in this
process, the event loop free meanwhile, a job's error told, a dead child replaced, and no
child left behind when its bot is killed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from briefings.drafting import CableRef, draft_statements
from briefings.drafting.apart import DraftingError, DraftingProcess
from briefings.drafting.preview import preview_from_html, preview_from_text
from briefings.facts.seed import SEED_DIR
from briefings.situations import Situation

ROOT = Path(__file__).resolve().parent.parent
SEED_TEXT = (SEED_DIR / "cable-001-belarus-troops.txt").read_text(encoding="utf-8")
CABLE = CableRef("https://x.substack.com/p/long", "A title", None)
SITUATION = Situation("test-situation", "A test situation", "2024")


def child_pid(apart: DraftingProcess) -> int:
    # The child is the process's own business; the tests look at it to kill it.
    child = apart._child
    assert child is not None
    return child.pid


async def test_the_child_drafts_what_this_process_drafts_and_the_loop_goes_on() -> None:
    text = preview_from_text(SEED_TEXT).text
    long_post = "\n".join([text] * 60)  # about 230 KB
    ticks = 0

    async def reader() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    apart = DraftingProcess()
    try:
        task = asyncio.create_task(reader())
        drafts = await apart.run(draft_statements, long_post, CABLE, SITUATION)
        task.cancel()
        assert child_pid(apart) != os.getpid()
    finally:
        await apart.close()
    assert drafts == draft_statements(long_post, CABLE, SITUATION)
    assert ticks > 100  # the loop went on while the child drafted


async def test_a_job_that_raises_is_told_and_the_child_serves_the_next() -> None:
    apart = DraftingProcess()
    try:
        with pytest.raises(DraftingError, match="Traceback"):
            await apart.run(draft_statements, None, CABLE)  # no text: the rules raise
        pid = child_pid(apart)
        preview = await apart.run(preview_from_html, "<p>Minsk says 10,000 troops.</p>")
        assert preview.text == "Minsk says 10,000 troops."
        assert child_pid(apart) == pid
    finally:
        await apart.close()


async def test_only_drafting_jobs_run_in_the_child() -> None:
    apart = DraftingProcess()
    with pytest.raises(ValueError, match="not a drafting job"):
        await apart.run(print, "hello")


async def test_a_dead_child_is_replaced_and_its_job_drafted_in_a_thread() -> None:
    apart = DraftingProcess()
    try:
        first = await apart.run(preview_from_html, "<p>One.</p>")
        pid = child_pid(apart)
        os.kill(pid, signal.SIGKILL)
        second = await apart.run(preview_from_html, "<p>Two.</p>")  # in a thread
        third = await apart.run(preview_from_html, "<p>Three.</p>")  # a new child
        assert child_pid(apart) != pid
    finally:
        await apart.close()
    assert [p.text for p in (first, second, third)] == ["One.", "Two.", "Three."]


async def test_close_ends_the_child() -> None:
    apart = DraftingProcess()
    await apart.run(preview_from_html, "<p>One.</p>")
    child = apart._child
    assert child is not None
    await apart.close()
    assert child.returncode == 0  # it saw its stdin end and returned


def test_a_killed_bot_leaves_no_child_holding_its_output() -> None:
    # A bot that has drafted once is killed with SIGKILL. Its child shares its stdout and
    # stderr; both reach their end only once every holder is gone, so reading them to the
    # end proves the child went with its bot (before, it stayed, and a reader waited).
    bot = textwrap.dedent(
        """
        import asyncio, os, signal
        from briefings.drafting import CableRef, draft_statements
        from briefings.drafting.apart import DraftingProcess

        async def main():
            apart = DraftingProcess()
            await apart.run(draft_statements, "Minsk says 10,000 troops.",
                            CableRef("https://x.substack.com/p/a", "A", None))
            print("drafted", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

        asyncio.run(main())
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", bot], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == -signal.SIGKILL
    assert run.stdout == "drafted\n"
