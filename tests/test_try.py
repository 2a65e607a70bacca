"""`cables-bot try`: the real bot against the local Bot API, driven through a pipe and
through a pseudo-terminal."""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import sys
from pathlib import Path

from bench.storage import open_store

ROOT = Path(__file__).parent.parent


def env_without_telegram(tmp_path: Path) -> dict[str, str]:
    """A newcomer's environment: no token, no .env (the command runs in an empty folder)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ADMIN_"))}
    # Any request leaving the machine would fail here (its proxy, port 9, is closed); the
    # local Bot API on loopback is reached directly.
    env.update(HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9",
               NO_PROXY="127.0.0.1,localhost")  # fmt: skip
    env["PYTHONPATH"] = str(ROOT)
    return env


async def run_try(tmp_path: Path, lines: str, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "try", *args, cwd=tmp_path,
        env=env_without_telegram(tmp_path), stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(lines.encode()), 120)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_a_pipe_of_commands_prints_each_reply_and_exits_0(tmp_path: Path) -> None:
    code, out, err = await run_try(tmp_path, "/forces\n/claims\n")
    assert code == 0, err
    assert "you> /forces" in out and "you> /claims" in out
    assert "approximately 20,000 troops" in out  # the forces briefing
    assert "Claims" in out and "<b>" not in out  # Telegram's HTML shown as text
    [chart] = re.findall(r"chart saved as (\S+\.png)", out)
    assert Path(chart).read_bytes().startswith(b"\x89PNG")
    assert "[1] " in out  # the keyboard, numbered
    assert "Traceback" not in err


async def test_an_editor_rehearses_a_change_the_original_database_never_sees(
    tmp_path: Path,
) -> None:
    original = tmp_path / "live.db"
    store = await open_store(original)
    await store.db.close()
    before = original.read_bytes()
    code, out, err = await run_try(
        tmp_path, "/set russian_troops_in_belarus ~12k\n/forces\n/undo\n",
        "--editor", "--database", str(original),
    )  # fmt: skip
    assert code == 0, err
    assert "12,000" in out or "12k" in out
    assert "Sorry" not in out  # an editor here
    assert original.read_bytes() == before
    with sqlite3.connect(original) as conn:
        assert conn.execute("SELECT COUNT(*) FROM changes").fetchone() == (0,)


async def test_a_reader_cannot_edit_and_a_group_chat_works(tmp_path: Path) -> None:
    code, out, err = await run_try(tmp_path, "/set border_length 1\n/brief\n", "--group")
    assert code == 0, err
    assert "is for the newsletter's editors" in out
    assert "Bottom line" in out


async def test_a_pseudo_terminal_presses_buttons_by_number(tmp_path: Path) -> None:
    main, secondary = os.openpty()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "try", cwd=tmp_path, env=env_without_telegram(tmp_path),
        stdin=secondary, stdout=secondary, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    os.close(secondary)
    loop = asyncio.get_running_loop()
    seen = bytearray()
    arrived = asyncio.Event()

    def on_output() -> None:
        try:
            seen.extend(os.read(main, 65536))
        except OSError:  # the process closed the terminal
            loop.remove_reader(main)
        arrived.set()

    loop.add_reader(main, on_output)

    async def until(text: str) -> str:
        async with asyncio.timeout(60):
            while text not in seen.decode(errors="replace"):
                arrived.clear()
                await arrived.wait()
        return seen.decode(errors="replace")

    try:
        await until("you> ")
        os.write(main, b"/brief\n")
        shown = await until("press a button")
        number = re.search(r"\[(\d+)\][^\n]*Claims", shown)
        assert number is not None, shown
        os.write(main, number.group(1).encode() + b"\n")
        after = await until("(the message above now reads:)")
        assert "\x1b[1m" in after  # bold, as a terminal shows it
        os.write(main, b"/quit\n")
        assert await asyncio.wait_for(process.wait(), 60) == 0
    finally:
        loop.remove_reader(main)
        os.close(main)
        if process.returncode is None:
            process.kill()
            await process.wait()
