"""Editors in groups: what only editors may read is answered in their private chat, and a
reader's /forget says nothing of their own erasures to the group."""

from __future__ import annotations

from typing import Any

import pytest

from bench import factories
from briefings.rendering.telegram_html import visible_text
from tests.auxil.fake_telegram import BOT_USERNAME
from tests.conftest import RunningBot

# Each editor command whose answer is the editors' alone, with words only that answer holds.
PRIVATE_ANSWERS = {
    "/stats": "Readers",
    "/cables": "Feed",
    "/facts": "russian_troops_in_belarus",
    "/history": "History",
    "/preview": "nothing to preview",
    # Commands that change what readers get answer with the change, the keys and the usage:
    # the editors' too.
    "/situation": "you work in it",
    "/set": "Usage: /set",
    "/retire": "Usage: /retire",
    "/undo": "no change left to undo",
    "/claim": "Usage: /claim",
    "/publish": "Usage: /publish",
}


def text_of(call: Any) -> str:
    return visible_text(call.params.get("text") or call.params.get("caption") or "")


def group_texts(bot: RunningBot) -> list[str]:
    return [text_of(call) for call in bot.telegram.sent(factories.GROUP_ID)]


@pytest.mark.parametrize("command", sorted(PRIVATE_ANSWERS))
async def test_an_editors_command_in_a_group_is_answered_privately(
    bot: RunningBot, command: str
) -> None:
    group = factories.group_chat()
    reply = await bot.send(factories.editor_message(f"{command}@{BOT_USERNAME}", chat=group))
    await bot.settled()
    assert text_of(reply) == "📬 Sent to you privately."
    assert group_texts(bot) == ["📬 Sent to you privately."]
    private = [text_of(call) for call in bot.telegram.sent(factories.EDITOR_ID)]
    assert any(PRIVATE_ANSWERS[command] in text for text in private), private
    # Sent as a message of its own there: nothing in the private chat to quote.
    assert all("reply_parameters" not in c.params for c in bot.telegram.sent(factories.EDITOR_ID))
    # The same command in the private chat is answered there, as before.
    again = await bot.send(factories.editor_message(command))
    assert text_of(again) != "📬 Sent to you privately."


async def test_stats_chart_goes_to_the_private_chat_too(bot: RunningBot) -> None:
    group = factories.group_chat()
    await bot.send(factories.editor_message("/stats", chat=group))
    await bot.settled()
    assert bot.telegram.photos(factories.GROUP_ID) == []
    assert len(bot.telegram.photos(factories.EDITOR_ID)) == 1


@pytest.mark.parametrize("command", sorted(PRIVATE_ANSWERS))
async def test_an_editor_the_bot_cannot_write_to_is_told_in_one_line_without_the_answer(
    bot: RunningBot, command: str
) -> None:
    bot.telegram.blocked = {factories.EDITOR_ID}  # Telegram's 403: never started the bot
    group = factories.group_chat()
    reply = await bot.send(factories.editor_message(command, chat=group))
    await bot.settled()
    assert group_texts(bot) == [
        f"I can't write to you privately: open a chat with @{BOT_USERNAME} and press Start, "
        f"then send {command} again."
    ]
    assert text_of(reply) == group_texts(bot)[0]
    assert bot.telegram.photos(factories.GROUP_ID) == []
    # The bot did try the private chat, once: Telegram said no.
    tried = [
        c for c in bot.telegram.calls if int(c.params.get("chat_id", 0)) == factories.EDITOR_ID
    ]
    assert len(tried) == 1


async def test_a_reader_in_a_group_is_still_refused_there(bot: RunningBot) -> None:
    group = factories.group_chat()
    reply = await bot.send(factories.message("/stats", chat=group))
    assert "for the newsletter's editors" in text_of(reply)
    assert bot.telegram.sent(factories.READER_ID) == []


# ---------------------------------------------------------------------- /forget in a group
async def test_forget_in_a_group_sends_the_list_privately_and_the_group_one_line(
    bot: RunningBot,
) -> None:
    await bot.say("/subscribe")
    await bot.say("/daily on 08:00 Europe/Kyiv")
    await bot.say("/forces")  # counted as a reader that day
    group = factories.group_chat()
    reply = await bot.send(factories.message("/forget", chat=group))
    assert text_of(reply) == (
        "🗑 Done: what the bot kept about you is erased. What it was, I sent you privately."
    )
    private = text_of(bot.telegram.sent(factories.READER_ID)[-1])
    assert "this chat's subscription, with its daily briefing time and time zone" in private
    assert "the 1 day you were counted as a reader" in private
    assert await bot.services.subscribers.get(factories.READER_ID) is None


async def test_forget_in_a_group_leaves_the_list_out_when_the_bot_cannot_write_privately(
    bot: RunningBot,
) -> None:
    bot.telegram.blocked = {factories.READER_ID}
    group = factories.group_chat()
    reply = await bot.send(factories.message("/forget", chat=group))
    await bot.settled()
    assert group_texts(bot) == ["🗑 Done: what the bot kept about you is erased."]
    assert text_of(reply) == group_texts(bot)[0]
