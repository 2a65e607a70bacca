"""Inline mode: "@bot forces" in any chat offers briefing cards, through the real Application
and the fake Bot API."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from telegram import Bot, InlineQueryResultArticle, InputTextMessageContent
from telegram.error import BadRequest

from bench import factories
from bot.readers.inline import INLINE_CACHE_SECONDS
from briefings.rendering.telegram_html import visible_text
from tests.auxil.fake_telegram import BOT_USERNAME, TOKEN, FakeTelegram
from tests.conftest import RunningBot, start_bot, stop_bot

TRIAL = "https://thebismarckcables.substack.com/subscribe?coupon=tg7"


def card_buttons(section: str) -> dict[str, Any]:
    utm = f"utm_source=telegram&utm_medium=bot&utm_campaign=inline-{section}"
    return {
        "inline_keyboard": [
            [{"text": "Start 7-day free trial", "url": f"{TRIAL}&{utm}"}],
            [{"text": "Open the bot", "url": f"https://t.me/{BOT_USERNAME}?start={section}"}],
        ]
    }


async def test_an_empty_query_offers_every_section_as_a_card(bot: RunningBot) -> None:
    answer = await bot.ask_inline("")
    assert answer.params["cache_time"] == INLINE_CACHE_SECONDS == 60
    assert answer.params["is_personal"] is False  # every reader gets the same cards
    results = answer.params["results"]
    assert [result["id"] for result in results] == [section.name for section in factories.SECTIONS]
    for result, section in zip(results, factories.SECTIONS, strict=True):
        briefing = await bot.desk.renderer.render(section.name)
        assert result == {
            "type": "article",
            "id": section.name,
            "title": section.button,
            "description": section.summary,
            "input_message_content": {
                "message_text": briefing.text,
                "parse_mode": "HTML",
                "link_preview_options": {"is_disabled": True},
            },
            # Links only: the chat a card is posted in may not have the bot to answer buttons.
            "reply_markup": card_buttons(section.name),
        }


@pytest.mark.parametrize(
    ("query", "offered"),
    [
        ("forces", ["forces"]),
        ("FOR", ["forces", "fortifications"]),
        ("  cl", ["claims"]),
        ("calc", ["calculus"]),
        ("Brief", ["brief"]),
        ("weather", [section.name for section in factories.SECTIONS]),  # no match: everything
    ],
)
async def test_a_query_offers_the_sections_it_starts(
    bot: RunningBot, query: str, offered: list[str]
) -> None:
    answer = await bot.ask_inline(query)
    assert [result["id"] for result in answer.params["results"]] == offered


async def test_cards_carry_an_editors_change(bot: RunningBot) -> None:
    def card_text(answer: Any) -> str:
        return visible_text(answer.params["results"][0]["input_message_content"]["message_text"])

    assert "approximately 20,000 troops" in card_text(await bot.ask_inline("forces"))
    await bot.send(factories.editor_message("/set russian_troops_in_belarus ~25k"))
    assert "about 25,000 troops" in card_text(await bot.ask_inline("forces"))


async def test_the_fake_refuses_inline_answers_as_telegram_would(telegram: FakeTelegram) -> None:
    def article(result_id: str, title: str = "A title") -> InlineQueryResultArticle:
        return InlineQueryResultArticle(result_id, title, InputTextMessageContent("<b>hi</b>"))

    async def open_query() -> str:
        update = factories.inline_query("forces")
        await telegram.push_update(update)
        return str(update["inline_query"]["id"])

    async with Bot(TOKEN, base_url=telegram.base_url) as plain_bot:
        refusals = [
            ("never-offered", [article("a")]),
            (await open_query(), [article("a"), article("a")]),
            (await open_query(), [article(str(n)) for n in range(51)]),
            (await open_query(), [article("x" * 65)]),
            (await open_query(), [article("a", title=" ")]),
        ]
        for query_id, results in refusals:
            with pytest.raises(BadRequest):
                await plain_bot.answer_inline_query(query_id, results)
        query_id = await open_query()
        assert await plain_bot.answer_inline_query(query_id, [article("a"), article("b")])
        with pytest.raises(BadRequest):  # answered already
            await plain_bot.answer_inline_query(query_id, [article("a")])
    assert len(telegram.rejections) == len(refusals) + 1


async def test_without_inline_mode_briefings_offer_no_share_button(
    make_settings: Any, telegram: FakeTelegram
) -> None:
    telegram.inline_mode = False  # BotFather's /setinline never sent
    app = await start_bot(make_settings())
    try:
        reply = await RunningBot(app, telegram).say("/brief")
    finally:
        await stop_bot(app)
    rows = reply.params["reply_markup"]["inline_keyboard"]
    kinds = {key for row in rows for button in row for key in button}
    assert "switch_inline_query" not in kinds
    assert "callback_data" in kinds


async def test_an_answer_telegram_calls_too_late_is_let_go_quietly(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    bot.telegram.fail_next(
        "answerInlineQuery", 400,
        "Bad Request: query is too old and response timeout expired or query ID is invalid",
    )  # fmt: skip
    with caplog.at_level(logging.INFO):
        await bot.ask_inline("forces")
        await bot.settled()
    assert bot.telegram.sent(factories.EDITOR_ID) == []  # no error report for the editors
    assert any("answered too late" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
