"""A group that became a supergroup: a command from its old id is answered in the new chat,
its subscription follows, and nobody gets an error report."""

from __future__ import annotations

from bench import factories
from bot.sandbox.bot_api import Call
from briefings.rendering.telegram_html import visible_text
from tests.conftest import RunningBot

OLD, NEW = -4001, -1004001


async def test_a_command_from_a_groups_old_id_is_answered_in_the_supergroup(
    bot: RunningBot,
) -> None:
    telegram = bot.telegram
    await bot.services.subscribers.subscribe(OLD, "group", "Analysts")
    old_group = {"id": OLD, "type": "group", "title": "Analysts"}
    # Telegram tells the old group it moved, and refuses the old id from then on...
    moved = factories.message(None, chat=old_group)
    moved["message"]["migrate_to_chat_id"] = NEW
    telegram.migrated[OLD] = NEW
    # ...but a command sent there just before reaches the bot after that.
    command = factories.message("/brief", chat=old_group)
    await telegram.push_update(command)
    [reply] = await telegram.wait_for(lambda: telegram.sent(NEW) or None)
    assert isinstance(reply, Call)
    assert visible_text(reply.params["text"]).startswith("📋")
    await bot.settled()
    assert telegram.sent(factories.EDITOR_ID) == []  # no error report
    moved_to = await bot.services.subscribers.get(NEW)
    assert moved_to is not None and moved_to.active and moved_to.chat_type == "supergroup"
    assert await bot.services.subscribers.get(OLD) is None
    # Its service message, arriving late, changes nothing more.
    await telegram.push_update(moved)
    again = await bot.send(factories.message("/help", chat=factories.group_chat(NEW)))
    assert again.params["chat_id"] == NEW
