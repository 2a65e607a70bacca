"""/forces sends its chart: uploaded once per facts version, then re-sent by file_id, and the
text goes out whatever happens to the chart. Through the real Application and the fake."""

from __future__ import annotations

import gc
import logging
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot
from telegram.error import BadRequest

from bench import factories
from bench.storage import open_store
from bot.settings import Settings
from briefings.facts.editing import Editor
from briefings.facts.values import Value
from briefings.rendering.chart import render_forces_chart
from briefings.rendering.chart_data import load_forces_chart
from briefings.rendering.telegram_html import visible_text
from tests.auxil.fake_telegram import TOKEN, Call, FakeTelegram, png_size
from tests.conftest import RunningBot, running_bot
from tests.test_bot_commands import buttons

READER = factories.READER_ID
CAPTION = (
    "🪖 Forces: Belarus masses troops on the Ukrainian border\n"
    "As of Aug 2024 · The Bismarck Cables, Aug 2024 (the editors' dating)\n"
    "Every figure, who says so and the notes: below."
)


def uploaded(photos: list[Call]) -> list[bool]:
    return [photo.params["_uploaded"] for photo in photos]


async def test_forces_sends_the_chart_then_the_text_then_reuses_the_file_id(
    bot: RunningBot,
) -> None:
    text = await bot.say("/forces")
    [chart] = bot.telegram.photos(READER)
    calls = bot.telegram.calls
    assert calls.index(chart) < calls.index(text)  # the chart first, the text under it
    png = chart.params["photo"]
    # 1280 wide, as tall as the seed's figures and claims need: within 5:4, for a phone.
    width, height = png_size(png)
    assert width == 1280 and 1280 < height <= 1600
    assert png == render_forces_chart(await load_forces_chart(bot.desk.store))
    assert visible_text(chart.params["caption"]) == CAPTION
    assert chart.params["parse_mode"] == "HTML"
    assert "reply_markup" not in chart.params  # the buttons go under the text, editable there
    assert "approximately 20,000 troops" in visible_text(text.params["text"])
    assert {"text": "📤 Share", "switch_inline_query": "forces"} in buttons(text)

    await bot.say("/forces")
    await bot.say("/start forces")  # the deep link shows the chart too
    photos = bot.telegram.photos(READER)
    assert uploaded(photos) == [True, False, False]
    assert photos[1].params["photo"] == photos[2].params["photo"] == chart.params["_file_id"]


async def test_an_editors_change_uploads_the_new_chart_once(bot: RunningBot) -> None:
    await bot.say("/forces")
    changed = await bot.send(factories.editor_message("/set russian_troops_in_belarus ~25k"))
    assert "Changed" in visible_text(changed.params["text"])
    for _ in range(2):
        await bot.say("/forces")
    first, second, third = bot.telegram.photos(READER)
    assert uploaded([first, second, third]) == [True, True, False]
    assert png_size(second.params["photo"])[0] == 1280
    assert second.params["photo"] != first.params["photo"]
    assert third.params["photo"] == second.params["_file_id"]


async def test_a_burst_of_forces_draws_and_uploads_once(bot: RunningBot) -> None:
    chats = range(8100, 8106)
    telegram = bot.telegram
    for chat_id in chats:
        await telegram.push_update(factories.message("/forces", factories.private_chat(chat_id)))
    await telegram.wait_for(lambda: len(telegram.delivered()) >= len(chats))
    assert sorted(uploaded(telegram.photos())) == [False] * (len(chats) - 1) + [True]
    assert {int(photo.params["chat_id"]) for photo in telegram.photos()} == set(chats)


@pytest.mark.parametrize(
    ("status", "description"),
    [(500, "Internal Server Error"), (400, "Bad Request: IMAGE_PROCESS_FAILED")],
)
async def test_when_the_chart_fails_the_text_still_goes(
    bot: RunningBot, caplog: pytest.LogCaptureFixture, status: int, description: str
) -> None:
    bot.telegram.fail_next("sendPhoto", status, description)
    with caplog.at_level(logging.WARNING):
        text = await bot.say("/forces")
    assert "approximately 20,000 troops" in visible_text(text.params["text"])
    assert {"text": "📤 Share", "switch_inline_query": "forces"} in buttons(text)
    assert bot.telegram.photos(READER) == []
    assert any("forces chart not sent" in r.getMessage() for r in caplog.records)
    await bot.say("/forces")  # nothing was remembered from the failure: this one uploads
    assert uploaded(bot.telegram.photos(READER)) == [True]


async def test_a_file_id_telegram_refuses_is_uploaded_again(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    await bot.say("/forces")
    bot.telegram.fail_next(
        "sendPhoto", 400, "Bad Request: wrong file identifier/HTTP URL specified"
    )
    with caplog.at_level(logging.WARNING):
        await bot.say("/forces")
    refused, *_ = [c for c in bot.telegram.calls_of("sendPhoto") if "_uploaded" not in c.params]
    assert isinstance(refused.params["photo"], str)
    assert uploaded(bot.telegram.photos(READER)) == [True, True]
    assert any("uploading again" in r.getMessage() for r in caplog.records)


async def test_a_short_briefing_rides_as_the_caption_with_its_buttons(bot: RunningBot) -> None:
    # Retire figures until the whole briefing fits in a caption (976 of 1,024 characters).
    for key in ("belarus_active_army", "belarus_unit_manning", "russia_kursk_redirect",
                "ukraine_northern_border_troops"):  # fmt: skip
        retired = await bot.send(factories.editor_message(f"/retire {key}"))
        assert "Retired" in visible_text(retired.params["text"])
    telegram = bot.telegram
    await telegram.push_update(factories.message("/forces"))
    [chart] = await telegram.wait_for(lambda: telegram.photos(READER) or None)
    briefing = await bot.desk.renderer.render("forces")
    assert chart.params["caption"] == briefing.text
    assert {"text": "📤 Share", "switch_inline_query": "forces"} in buttons(chart)

    # A section button under the chart cannot turn its caption into text: a new message.
    on_chart: dict[str, Any] = {
        "message_id": chart.params["_message_id"], "date": 0, "chat": factories.private_chat(),
        "photo": [{"file_id": chart.params["_file_id"], "file_unique_id": "u", "width": 1280,
                   "height": 1280}],
        "caption": visible_text(chart.params["caption"]),
    }  # fmt: skip
    claims = await bot.send(factories.callback_query("section:claims", on_chart))
    assert claims.method == "sendMessage"
    assert "The cable's verdict: preposterous" in visible_text(claims.params["text"])
    # The chart carried the whole briefing: no text of its own followed it.
    assert telegram.sent(READER) == [claims]


async def test_the_fake_refuses_photos_as_telegram_would(
    telegram: FakeTelegram, tmp_path: Path
) -> None:
    store = await open_store(tmp_path / "c.db")
    try:
        png = render_forces_chart(await load_forces_chart(store))
    finally:
        await store.db.close()
    async with Bot(TOKEN, base_url=telegram.base_url) as plain_bot:
        with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
            await plain_bot.send_photo(READER, "AgACneverUploaded")
        with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
            await plain_bot.send_photo(READER, b"GIF89a not a png")
        with pytest.raises(BadRequest, match=r"(?i)too long"):
            await plain_bot.send_photo(READER, png, caption="x" * 1025)
        sent = await plain_bot.send_photo(READER, png, caption="🇺🇦" * 256)  # 1,024 in UTF-16
        # Scaled as Telegram scales a photo: its longer side to each of 90, 320, 800 and 1280.
        width, height = png_size(png)
        assert [size.height for size in sent.photo] == [90, 320, 800, 1280]
        assert [size.width for size in sent.photo] == [
            round(width * side / height) for side in (90, 320, 800, 1280)
        ]
    assert [reason for _, reason in telegram.rejections] == [
        "wrong file identifier/HTTP URL specified",
        "IMAGE_PROCESS_FAILED: not a PNG image",
        "message is too long",
    ]


async def test_the_short_caption_stays_short_however_many_dates_and_sources(
    bot: RunningBot,
) -> None:
    # Each editor's change may add a date and a source to the chart's footer.
    editor = Editor(id=factories.EDITOR_ID, name="Edith")
    keys = ["belarus_active_army", "russian_troops_in_belarus", "russia_kursk_redirect",
            "ukraine_kursk_troops", "border_length"]  # fmt: skip
    for day, key in enumerate(keys, start=1):
        await bot.desk.editor.set_value(
            key, Value.number(1000 * day, "troops"), editor,
            source_url=f"https://source-{day}.example.org/report", as_of=f"2024-09-0{day}",
        )  # fmt: skip

    await bot.say("/forces")

    (chart,) = bot.telegram.photos(READER)
    caption = visible_text(chart.params["caption"])
    assert "As of 1 Sep 2024, 2 Sep 2024, 3 Sep 2024 and 3 more ·" in caption
    # Five editors' links and the cable the other figures come from.
    assert "source-1.example.org, source-2.example.org, source-3.example.org and 3 more" in caption


async def test_a_slow_upload_holds_up_other_readers_only_briefly(
    bot: RunningBot, telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    other = factories.private_chat(4242)
    bot.desk.forces_photo.upload_wait = 0.2
    release = telegram.hold_next_message(READER)  # the first upload hangs
    await telegram.push_update(factories.message("/forces"))
    await telegram.wait_for(lambda: READER in telegram.holding)  # it is under way

    with caplog.at_level(logging.WARNING):
        text = await bot.say("/forces", chat=other)

    assert "approximately 20,000 troops" in visible_text(text.params["text"])
    assert telegram.photos(4242) == []  # the text went alone, without waiting any longer
    assert any("still under way" in r.getMessage() for r in caplog.records)
    release.set()
    await bot.settled()
    assert uploaded(telegram.photos(READER)) == [True]  # the held upload landed after all
    await bot.say("/forces", chat=other)
    assert uploaded(telegram.photos(4242)) == [False]  # and its file_id serves the next one


async def test_the_chart_is_drawn_ahead_and_the_interpreter_left_alone(
    settings: Settings, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.app.CHART_WARMUP_DELAY", 3600.0)  # run below, not on its own
    async with running_bot(settings, telegram) as running:
        assert running.app.job_queue is not None
        (settle,) = running.app.job_queue.get_jobs_by_name("chart-warmup")
        await settle.run(running.app)
        await running.say("/forces")
        assert uploaded(telegram.photos(READER)) == [True]  # the chart drawn ahead, sent
        # Garbage collection is the process's, set by `cables-bot run` alone (test_cli.py).
        assert gc.get_freeze_count() == 0
