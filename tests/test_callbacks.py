"""Every button tap is answered (Telegram shows a spinner until it is): taps nobody handles,
a non-editor's, a closed /add's, a flooding reader's; a number out of range in a button's data
is refused with a short answer, not an error report."""

from __future__ import annotations

from typing import Any

from bench import factories
from bot.plumbing.errors import APOLOGY
from bot.settings import Settings
from tests.auxil.fake_telegram import Call, FakeTelegram
from tests.conftest import RunningBot, running_bot

HUGE = str(10**30)


async def tap(bot: RunningBot, data: str, sender: dict[str, Any] | None = None) -> Call:
    """Tap a button with data under a message in the sender's private chat; the answer."""
    sender = sender or factories.user()
    chat = factories.private_chat(sender["id"])
    on_message = {"message_id": 1, "date": 0, "chat": chat, "text": "…"}
    update = factories.callback_query(data, on_message, sender)
    query_id = update["callback_query"]["id"]
    await bot.telegram.push_update(update)
    answers = await bot.telegram.wait_for(
        lambda: [call for call in bot.telegram.calls_of("answerCallbackQuery")
                 if call.params["callback_query_id"] == query_id] or None
    )  # fmt: skip
    [answer] = answers
    return answer


def answer_text(answer: Call) -> str:
    return str(answer.params.get("text") or "")


async def test_taps_nobody_handles_are_answered(bot: RunningBot) -> None:
    for data in ("nonsense", "section", "brief:old-format", "add:save", "add:section:forces"):
        answer = await tap(bot, data)
        assert "out of date" in answer_text(answer)
    # The editor's buttons of a guided /add no longer open.
    for data in ("add:save", "add:skip", "add:section:forces"):
        assert "out of date" in answer_text(await tap(bot, data, factories.editor()))
    await bot.settled()
    assert bot.telegram.sent(factories.READER_ID) == []  # answered on the button alone


async def test_a_non_editors_tap_on_an_editors_button_is_answered_on_the_button(
    bot: RunningBot,
) -> None:
    for data in ("attach:1", "cables:page:1"):
        answer = await tap(bot, data)
        assert "for the newsletter's editors" in answer_text(answer)
    await bot.settled()
    assert bot.telegram.sent(factories.READER_ID) == []  # no refusal posted in the chat


async def test_numbers_out_of_range_are_refused_without_an_error_report(
    bot: RunningBot,
) -> None:
    editor = factories.editor()
    taps = [
        (f"attach:{HUGE}", editor), ("attach:-5", editor), ("attach:0", editor),
        ("attach:1e9", editor), ("attach:٣", editor), (f"cables:page:{HUGE}", editor),
        ("cables:page:-1", editor), (f"situations:page:{HUGE}", None),
        ("situations:page:-1", None), ("situations:page:1", None),
    ]  # fmt: skip
    for data, sender in taps:
        answer = await tap(bot, data, sender)
        assert "out of date" in answer_text(answer), data
        assert APOLOGY[:40] not in answer_text(answer)
    await bot.settled()
    assert bot.telegram.sent(factories.EDITOR_ID) == []  # no error report


async def test_a_flooding_readers_taps_are_still_answered(
    make_settings: Any, telegram: FakeTelegram
) -> None:
    settings: Settings = make_settings(user_commands_per_minute=3)
    async with running_bot(settings, telegram) as bot:
        answers = [answer_text(await tap(bot, "nonsense")) for _ in range(6)]
    assert all("out of date" in text for text in answers[:3])
    assert answers[3].startswith("Slow down")  # told once
    assert answers[4:] == ["", ""]  # then answered quietly
