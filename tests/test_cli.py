"""The command line, run as a real process: render, run against the fake Bot API, bad tokens."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bench import factories
from bench.storage import open_store
from briefings.rendering.chart import render_forces_chart
from briefings.rendering.chart_data import load_forces_chart
from tests.auxil.fake_telegram import TOKEN, FakeTelegram, png_size


def cli_env(tmp_path: Path, telegram: FakeTelegram | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ADMIN_"))}
    env.update(DATABASE_PATH=str(tmp_path / "data" / "cables.db"), LOG_LEVEL="INFO")
    if telegram is not None:
        env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=telegram.base_url)
    env.update(extra)
    return env


async def cables_bot(*args: str, env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_render_prints_what_the_bot_sends(tmp_path: Path, telegram: FakeTelegram) -> None:
    env = cli_env(tmp_path, telegram)
    bot = await cables_bot("run", env=env, cwd=tmp_path)
    try:
        await telegram.wait_for(lambda: telegram.calls_of("setMyCommands"), timeout=30)
        await telegram.push_update(factories.message("/forces"))
        sent = await telegram.wait_for(lambda: telegram.sent(factories.READER_ID))
    finally:
        bot.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(bot.communicate(), 30)

    render = await cables_bot("render", "forces", env=env, cwd=tmp_path)
    stdout, _ = await asyncio.wait_for(render.communicate(), 30)
    assert render.returncode == 0
    assert stdout.decode().rstrip("\n") == sent[0].params["text"]
    assert "approximately 20,000 troops" in stdout.decode()

    assert bot.returncode == 0  # SIGTERM is a clean stop
    log = stderr.decode()
    assert "started bot=@cables_test_bot" in log
    assert TOKEN not in log and TOKEN.partition(":")[2] not in log


async def test_run_sets_what_start_up_built_aside_from_garbage_collection(
    tmp_path: Path, telegram: FakeTelegram
) -> None:
    # `run` alone tunes the interpreter, once the chart is drawn ahead (bot/plumbing/
    # interpreter.py); an Application built elsewhere leaves it alone (test_forces_chart.py).
    bot = await cables_bot("run", env=cli_env(tmp_path, telegram), cwd=tmp_path)
    assert bot.stderr is not None
    line = b""
    try:
        async with asyncio.timeout(60):
            while b"start-up over" not in line:
                line = await bot.stderr.readline()
                assert line, "the bot ended before start-up was over"
    finally:
        bot.send_signal(signal.SIGTERM)
        await asyncio.wait_for(bot.communicate(), 30)
    assert b"objects set aside from garbage collection" in line
    assert bot.returncode == 0


async def test_a_missing_token_stops_with_one_line(tmp_path: Path) -> None:
    process = await cables_bot("run", env=cli_env(tmp_path), cwd=tmp_path)
    _stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert stderr.decode() == (
        "cables-bot: setting TELEGRAM_BOT_TOKEN: not set (get one from @BotFather)\n"
    )


async def test_a_malformed_token_stops_with_one_line_that_hides_it(tmp_path: Path) -> None:
    env = cli_env(tmp_path, TELEGRAM_BOT_TOKEN="12345:secret-but-malformed")
    process = await cables_bot("run", env=env, cwd=tmp_path)
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert len(stderr.decode().splitlines()) == 1
    assert "TELEGRAM_BOT_TOKEN" in stderr.decode()
    assert "secret-but-malformed" not in stderr.decode()


async def test_a_token_telegram_rejects_stops_cleanly(
    tmp_path: Path, telegram: FakeTelegram
) -> None:
    wrong = "987654321:AAwrongTOKENwrongTOKENwrongTOKEN_xyz"
    env = cli_env(tmp_path, telegram, TELEGRAM_BOT_TOKEN=wrong)
    process = await cables_bot("run", env=env, cwd=tmp_path)
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 1
    log = stderr.decode()
    assert "Telegram rejected TELEGRAM_BOT_TOKEN" in log
    assert "Traceback" not in log
    assert "Unclosed" not in log  # the failed start closed its HTTP sessions
    assert wrong not in log and wrong.partition(":")[2] not in log


async def test_an_unknown_section_is_refused_by_render(tmp_path: Path) -> None:
    process = await cables_bot("render", "weather", env=cli_env(tmp_path), cwd=tmp_path)
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert stderr.decode().startswith(
        "cables-bot: no section 'weather' in belarus-ukraine-border-2024 (its sections: brief,"
    )


async def test_render_png_writes_the_chart_the_bot_sends(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    out = tmp_path / "out.png"
    process = await cables_bot("render", "forces", "--png", str(out), env=env, cwd=tmp_path)
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    assert "approximately 20,000 troops" in stdout.decode()  # the briefing, printed as before
    assert f"wrote the forces chart to {out}" in stderr.decode()
    store = await open_store(env["DATABASE_PATH"])
    try:
        chart = await load_forces_chart(store)
    finally:
        await store.db.close()
    assert out.read_bytes() == render_forces_chart(chart)  # the very function the bot uses
    width, height = png_size(out.read_bytes())
    assert width == 1280 and 320 <= height <= 2000  # as tall as its content


async def test_only_forces_has_a_chart_to_render(tmp_path: Path) -> None:
    out = tmp_path / "claims.png"
    process = await cables_bot(
        "render", "claims", "--png", str(out), env=cli_env(tmp_path), cwd=tmp_path
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert "--png: only a figures section (forces) has a chart" in stderr.decode()
    assert not out.exists()
