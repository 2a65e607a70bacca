"""Every reader command and button, through the real Application and the fake Bot API."""

from __future__ import annotations

from typing import Any

import pytest

from bench import factories
from bot.commands import PUBLIC_COMMANDS
from briefings.rendering.telegram_html import visible_text
from tests.auxil.fake_telegram import BOT_USERNAME
from tests.conftest import RunningBot

TRIAL = "https://thebismarckcables.substack.com/subscribe?coupon=tg7"


def buttons(call: Any) -> list[dict[str, Any]]:
    markup = call.params.get("reply_markup") or {"inline_keyboard": []}
    return [button for row in markup["inline_keyboard"] for button in row]


def callback_data(call: Any) -> set[str]:
    return {b["callback_data"] for b in buttons(call) if "callback_data" in b}


async def test_menu_is_registered_from_the_command_list(bot: RunningBot) -> None:
    registered = bot.telegram.commands['{"type": "default"}|']
    # Start and help, then the default situation's sections (data), then the rest.
    names = [c.name for c in PUBLIC_COMMANDS]
    assert [c["command"] for c in registered] == [
        *names[:2],
        *(s.name for s in factories.SECTIONS),
        *names[2:],
    ]
    assert all(c["description"] for c in registered)


async def test_start_introduces_the_bot_with_section_buttons(bot: RunningBot) -> None:
    reply = await bot.say("/start")
    text = visible_text(reply.params["text"])
    assert "Every line says whose it is" in text
    assert "Belarus masses troops on the Ukrainian border" in text  # as written, not lowercased
    assert callback_data(reply) == {
        f"section:{s.name}:{factories.SITUATION}" for s in factories.SECTIONS
    } | {"subscribe"}


async def test_start_deep_link_opens_a_section(bot: RunningBot) -> None:
    reply = await bot.say("/start forces")
    assert "Forces:" in visible_text(reply.params["text"])
    assert "approximately 20,000 troops" in visible_text(reply.params["text"])


async def test_start_with_an_unknown_payload_greets_as_usual(bot: RunningBot) -> None:
    reply = await bot.say("/start <b>junk-payload</b>")
    assert "briefing bot" in visible_text(reply.params["text"])


async def test_help_lists_every_command(bot: RunningBot) -> None:
    text = visible_text((await bot.say("/help")).params["text"])
    for command in PUBLIC_COMMANDS:
        assert f"/{command.name} – {command.description}" in text


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (
            "/brief",
            [
                "Bottom line\n• Belarus's build-up: “optics vs actual potential threat”",
                "120k troops",
                "The cable's verdict: preposterous",
            ],
        ),
        ("/forces", ["(most open intel analysts, per the cable)", "around 10-15k"]),
        (
            "/claims",
            [
                "Belarus claims Ukraine has amassed troops near Belarus",
                "120k troops",
                "The cable's verdict: preposterous",
                "Pokrovsk",
            ],
        ),
        ("/fortifications", ["bunkers and anti-tank defenses", "February 2022"]),
        ("/calculus", ["costing” Lukashenko “his regime", "The free preview stops here"]),
        ("/sources", ["Aug 2024", "the cable's own address is not on record"]),
    ],
)
async def test_each_section_command_answers_with_its_briefing(
    bot: RunningBot, command: str, expected: list[str]
) -> None:
    reply = await bot.say(command)
    text = visible_text(reply.params["text"])
    for fragment in expected:
        assert fragment in text
    assert reply.params["parse_mode"] == "HTML"
    assert reply.params["link_preview_options"] == {"is_disabled": True}
    urls = [b["url"] for b in buttons(reply) if "url" in b]
    tag = "utm_source=telegram&utm_medium=bot&utm_campaign=" + command.removeprefix("/")
    assert f"https://thebismarckcables.substack.com?{tag}" in urls
    assert callback_data(reply) == {
        f"section:{s.name}:{factories.SITUATION}" for s in factories.SECTIONS
    }
    # Last, on its own row: Share, which opens inline mode on this section in another chat.
    share = {"text": "📤 Share", "switch_inline_query": command.removeprefix("/")}
    assert reply.params["reply_markup"]["inline_keyboard"][-1] == [share]


async def test_calculus_offers_the_free_trial(bot: RunningBot) -> None:
    reply = await bot.say("/calculus")
    trial = [b for b in buttons(reply) if b["text"] == "Start 7-day free trial"]
    utm = "utm_source=telegram&utm_medium=bot&utm_campaign=calculus"
    assert [b["url"] for b in trial] == [f"{TRIAL}&{utm}"]  # the coupon kept, tagged


async def test_a_section_button_edits_the_briefing_in_place(bot: RunningBot) -> None:
    reply = await bot.say("/forces")
    message_id = bot.telegram.messages_sent_ids(reply)
    chat = factories.private_chat()
    on_message = {"message_id": message_id, "date": 0, "chat": chat, "text": "x"}
    for section in factories.SECTIONS:
        edit = await bot.send(
            factories.callback_query(f"section:{section.name}:{factories.SITUATION}", on_message)
        )
        assert edit.method == "editMessageText"
        assert int(edit.params["message_id"]) == message_id
        stored = bot.telegram.messages[(chat["id"], message_id)]
        assert stored["text"] == edit.params["text"]
        marked = [b["text"] for b in buttons(edit) if b["text"].startswith("· ")]
        assert marked == [f"· {section.button} ·"]
    assert len(bot.telegram.calls_of("answerCallbackQuery")) == len(factories.SECTIONS)


async def test_tapping_the_current_section_again_changes_nothing(bot: RunningBot) -> None:
    reply = await bot.say("/claims")
    message_id = bot.telegram.messages_sent_ids(reply)
    on_message = {"message_id": message_id, "date": 0, "chat": factories.private_chat()}
    await bot.telegram.push_update(factories.callback_query("section:claims", on_message))
    await bot.telegram.wait_for(lambda: bot.telegram.rejections)
    # Telegram said "message is not modified"; the bot took it quietly and sent nothing new.
    method, description = bot.telegram.rejections.pop()
    assert (method, description[:24]) == ("editMessageText", "message is not modified:")
    await bot.say("/help")  # handled after the tap, so the tap's handling is over
    assert len(bot.telegram.sent(factories.READER_ID, "sendMessage")) == 2
    assert len(bot.telegram.calls_of("answerCallbackQuery")) == 1


async def test_a_forged_button_gets_a_polite_answer(bot: RunningBot) -> None:
    on_message = {"message_id": 1, "date": 0, "chat": factories.private_chat()}
    await bot.telegram.push_update(factories.callback_query("section:../../etc", on_message))
    answer = await bot.telegram.wait_for(lambda: bot.telegram.calls_of("answerCallbackQuery"))
    assert (
        answer[0].params["text"] == "That button is out of date. Send /brief for a fresh briefing."
    )
    assert bot.telegram.sent() == []


async def test_an_unknown_command_points_to_help(bot: RunningBot) -> None:
    reply = await bot.say("/frobnicate <b>now</b>")
    assert visible_text(reply.params["text"]) == (
        "I don't know /frobnicate. Send /help for the commands I do know."
    )


async def test_a_hostile_unknown_command_is_cut_and_escaped(bot: RunningBot) -> None:
    reply = await bot.say("/" + "<&>" * 500)
    text = visible_text(reply.params["text"])
    assert text.startswith("I don't know /<&><&>")
    assert len(text) < 200


async def test_plain_text_in_private_gets_a_hint(bot: RunningBot) -> None:
    reply = await bot.say("how many troops?")
    assert "/brief" in visible_text(reply.params["text"])


async def test_in_groups_the_bot_answers_commands_addressed_to_it(bot: RunningBot) -> None:
    group = factories.group_chat()
    reply = await bot.send(factories.message(f"/forces@{BOT_USERNAME}", chat=group))
    assert "approximately 20,000 troops" in visible_text(reply.params["text"])
    reply = await bot.send(factories.message("/claims", chat=group))
    assert "The cable's verdict: preposterous" in visible_text(reply.params["text"])
    reply = await bot.send(factories.message(f"/nonsense@{BOT_USERNAME}", chat=group))
    assert "/help" in visible_text(reply.params["text"])


async def test_in_groups_the_bot_stays_quiet_otherwise(bot: RunningBot) -> None:
    group = factories.group_chat()
    await bot.assert_silent(factories.message("talking among ourselves", chat=group))
    await bot.assert_silent(factories.message("/nonsense", chat=group))
    await bot.assert_silent(factories.message("/forces@some_other_bot", chat=group))
