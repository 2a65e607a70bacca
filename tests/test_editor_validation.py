"""What editors and readers type is refused with a reason, never cut or stored as it came:
/situation's slugs, titles and periods, /daily's words, usage examples, the guided /add
met again, and backups to a directory or that fail."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bench import factories
from bench.storage import open_store
from bot.maintenance import backup
from bot.push.daily import find_zone
from briefings.rendering.telegram_html import visible_text
from tests.conftest import RunningBot
from tests.test_cli import cables_bot, cli_env


def text_of(call: Any) -> str:
    return visible_text(call.params.get("text") or call.params.get("caption") or "")


async def editor(bot: RunningBot, text: str) -> str:
    return text_of(await bot.send(factories.editor_message(text)))


# ---------------------------------------------------------------------- /situation new
@pytest.mark.parametrize(
    ("command", "problem"),
    [
        ("/situation new new Talks", "'new' is a word of /situation itself: choose another slug"),
        ("/situation new CURRENT Talks", "'current' is a word of /situation itself"),
        ("/situation new gulf Talks | Jan\n2025", "the period runs over more than one line"),
        ("/situation new gulf Talks | Jan\u20282025", "the period runs over more than one line"),
        ("/situation new gulf Talks | Jan \x1b[31m", "the period contains control characters"),
        (
            "/situation new gulf Talks | " + "x" * 500,
            "the period is 500 characters; keep it to 60 at most",
        ),
        ("/situation new gulf Talks\nin the gulf | 2025", "the title runs over more than one"),
        ("/situation new gulf Talks\x07 | 2025", "the title contains control characters"),
        (
            "/situation new gulf " + "t" * 121,
            "the title is 121 characters; keep it to 120 at most",
        ),
    ],
)
async def test_a_new_situation_refuses_reserved_slugs_and_unusable_text(
    bot: RunningBot, command: str, problem: str
) -> None:
    reply = await editor(bot, command)
    assert reply.startswith(f"⚠️ {problem}"), reply
    assert [s.id for s in await bot.services.situations.all()] == [factories.SITUATION]


async def test_a_new_situation_keeps_its_period_whole(bot: RunningBot) -> None:
    period = "from the first week of January 2025 to the ceasefire's end"  # 58 characters
    reply = await editor(bot, f"/situation new gulf-2025 Talks in the gulf | {period}")
    assert f"gulf-2025: Talks in the gulf ({period})" in reply
    created = await bot.services.situations.get("gulf-2025")
    assert created is not None and created.period == period


# ---------------------------------------------------------------------- /daily
def test_only_real_zones_are_time_zones() -> None:
    for name in ("localtime", "Factory", "posixrules", "EST", "Japan", "Etc/GMT+5", "GMT"):
        assert find_zone(name) is None, name
    for name, zone in (("utc", "UTC"), ("europe/kyiv", "Europe/Kyiv"),
                       ("America/Argentina/Salta", "America/Argentina/Salta")):  # fmt: skip
        assert find_zone(name) == zone


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        ("/daily on 07:30 localtime", "'localtime' is neither"),
        ("/daily on Factory", "'Factory' is neither"),
        ("/daily on 07:30 07:45", "give one time only, e.g. 07:30"),
        ("/daily on Europe/Kyiv 07:30 Europe/Paris", "give one time zone only, e.g. Europe/Kyiv"),
        ("/daily off 07:30", "off takes nothing after it"),
        ("/daily at 07:30", "say on or off"),
    ],
)
async def test_daily_says_what_is_wrong(bot: RunningBot, command: str, problem: str) -> None:
    reply = text_of(await bot.say(command))
    assert reply.startswith("⚠️ ") and problem in reply.splitlines()[0], reply
    assert await bot.services.daily.setting(factories.READER_ID) is None


async def test_daily_takes_one_time_and_one_zone_in_either_order(bot: RunningBot) -> None:
    reply = text_of(await bot.say("/daily on europe/kyiv 07:45"))
    assert "every day at 07:45 Europe/Kyiv" in reply


# ---------------------------------------------------------------------- usage examples
async def test_usage_examples_name_live_keys_of_the_editors_situation(bot: RunningBot) -> None:
    live = {fact.key for fact in await bot.desk.store.facts()}
    claims = {claim.key for claim in await bot.desk.store.claims()}
    for command in ("/history a b", "/retire", "/set x", "/claim x"):
        reply = await editor(bot, command)
        [example] = re.findall(r"Example: /\w+ (\w+)", reply)
        assert example in (claims if command.startswith("/claim") else live), (command, reply)
    # A key retired since is no example any more.
    example = re.findall(r"Example: /history (\w+)", await editor(bot, "/history a b"))[0]
    await editor(bot, f"/retire {example}")
    again = re.findall(r"Example: /history (\w+)", await editor(bot, "/history a b"))[0]
    assert again != example


# ---------------------------------------------------------------------- guided /add again
async def test_a_second_add_inside_the_guided_add_starts_it_again(bot: RunningBot) -> None:
    start = await bot.send(factories.editor_message("/add"))
    step = await bot.tap(start, "add:section:forces", factories.editor())
    assert "step 1 of 5" in text_of(step)
    await editor(bot, "Belarusian tanks at the border")
    again = await bot.send(factories.editor_message("/add"))
    assert text_of(again).startswith(
        "Add a fact or a claim (started again: the draft you had is dropped)"
    )
    # The new flow is the one under way: its buttons work, the old draft is gone.
    step = await bot.tap(again, "add:section:forces", factories.editor())
    assert "step 1 of 5" in text_of(step)


async def test_a_one_line_add_inside_the_guided_add_leaves_the_draft_as_it_was(
    bot: RunningBot,
) -> None:
    start = await bot.send(factories.editor_message("/add"))
    await bot.tap(start, "add:section:forces", factories.editor())
    added = await editor(
        bot, "/add forces | Belarusian tanks | ~300 tanks | Ukrainian border guard"
    )
    assert "Added" in added
    step = await editor(bot, "Minefields")  # the guided add's first answer, still awaited
    assert "step 2 of 5" in step


# ---------------------------------------------------------------------- backup
async def test_backup_to_a_directory_writes_a_dated_file_inside_it(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    store = await open_store(Path(env["DATABASE_PATH"]))
    await store.db.close()
    for folder in (tmp_path / "existing", tmp_path / "new"):
        if folder.name == "existing":
            folder.mkdir()
        process = await cables_bot("backup", f"{folder}/", env=env, cwd=tmp_path)
        stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0, stderr.decode()
        [copy] = folder.iterdir()
        assert re.fullmatch(r"cables-\d{8}T\d{6}Z\.db", copy.name)
        assert f"to {copy} (" in stdout.decode()
        with sqlite3.connect(copy) as conn:
            assert conn.execute("PRAGMA quick_check").fetchone() == ("ok",)
    assert not list(tmp_path.rglob("*.partial"))


def test_a_failed_backup_leaves_no_partial_file(tmp_path: Path) -> None:
    damaged = tmp_path / "cables.db"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\xde\xad" * 4000)
    target = tmp_path / "copy.db"
    with pytest.raises(sqlite3.DatabaseError):
        backup(damaged, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cables.db"]
