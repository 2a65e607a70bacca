"""Edited messages: the bot acts on what was sent, once, and never on an edit of it."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from bench import factories
from bot.settings import Settings
from briefings.rendering.telegram_html import visible_text
from tests.conftest import RunningBot


def edited(update: dict[str, Any], text: str) -> dict[str, Any]:
    """The update Telegram sends when that message is edited to text."""
    body = dict(update["message"], text=text, edit_date=int(time.time()))
    if text.startswith("/"):
        body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"edited_message": body}


async def test_edits_of_a_command_get_no_reply_and_spend_no_sends(bot: RunningBot) -> None:
    original = factories.message("/claims")
    await bot.send(original)
    for _ in range(30):
        await bot.telegram.push_update(edited(original, "/claims"))
    reply = await bot.say("/help")  # answered after every edit was taken
    await bot.settled()
    sent = bot.telegram.sent(factories.READER_ID)
    assert len(sent) == 2 and sent[-1] == reply


async def test_an_edited_one_line_add_adds_nothing_more(
    bot: RunningBot, settings: Settings
) -> None:
    command = factories.editor_message("/add forces | Tanks at the border | ~300 tanks | Us")
    assert "Added" in visible_text((await bot.send(command)).params["text"])
    await bot.telegram.push_update(
        edited(command, "/add forces | Tanks at the border | ~400 tanks | Us")
    )
    await bot.send(factories.editor_message("/help"))
    await bot.settled()
    with sqlite3.connect(settings.database_path) as conn:
        rows = conn.execute("SELECT value_low FROM facts WHERE label LIKE 'Tanks%'").fetchall()
    assert rows == [(300.0,)]


async def test_an_edit_during_the_guided_add_is_not_an_answer(bot: RunningBot) -> None:
    start = await bot.send(factories.editor_message("/add"))
    step = await bot.tap(start, "add:section:forces", factories.editor())
    typed = factories.editor_message("Minefields")
    step = await bot.send(typed)
    assert "step 2 of 5" in visible_text(step.params["text"])
    before = len(bot.telegram.sent(factories.EDITOR_ID))
    await bot.telegram.push_update(edited(typed, "Not this"))
    step = await bot.send(factories.editor_message("a few hundred"))
    await bot.settled()
    assert len(bot.telegram.sent(factories.EDITOR_ID)) == before + 1  # the edit: no reply
    assert "step 3 of 5" in visible_text(step.params["text"])
