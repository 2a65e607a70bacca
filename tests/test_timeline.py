"""/timeline: a figure's values over time, as a chart and in text, through the real bot."""

from __future__ import annotations

from typing import Any

from bench import factories
from briefings.facts.values import Value
from briefings.rendering.telegram_html import visible_text
from briefings.rendering.timeline import render_timeline
from briefings.rendering.timeline_data import Point, Timeline, timeline_of
from tests.auxil.fake_telegram import png_size
from tests.conftest import RunningBot

KEY = "russian_troops_in_belarus"


async def editor(bot: RunningBot, text: str) -> None:
    reply = visible_text((await bot.send(factories.editor_message(text))).params["text"])
    assert not reply.startswith("⚠️"), reply


def caption(call: Any) -> str:
    return visible_text(call.params["caption"])


async def timeline(bot: RunningBot, words: str) -> Any:
    """Ask for a timeline; return the photo the bot sends."""
    before = len(bot.telegram.photos(factories.READER_ID))
    await bot.telegram.push_update(factories.message(f"/timeline {words}"))
    photos = await bot.telegram.wait_for(
        lambda: bot.telegram.photos(factories.READER_ID)[before:] or None
    )
    return photos[0]


async def test_a_figure_changed_twice_gives_a_png_and_its_values_in_text(
    bot: RunningBot,
) -> None:
    await editor(bot, f"/set {KEY} 10-12k https://example.org/r 2024-09-02 by ISW")
    await editor(bot, f"/set {KEY} text: a few thousand troops 2024-10-01")
    await editor(bot, f"/set {KEY} ~15k troops 2024-11-05")
    await editor(bot, f"/set {KEY} 40k troops 2024-11-06 by Ukraine's General Staff")  # claim
    photo = await timeline(bot, KEY)
    width, height = png_size(photo.params["photo"])
    assert width == 1280 and 480 <= height <= 1600  # a phone's width, one screen tall
    lines = caption(photo).splitlines()
    assert lines[0] == "📈 Russian troops still in Belarus: its values over time"
    assert lines[1:] == [
        "• Aug 2024: around 10k (per the cable)",
        "• 2 Sep 2024: 10,000–12,000 troops (ISW, per the editors)",
        "• 1 Oct 2024: a few thousand troops (per the editors)",
        "• 5 Nov 2024: about 15,000 troops (per the editors)",
        "• 6 Nov 2024: Ukraine's General Staff claims 40,000 troops",
    ]
    # The chart the bot sent is the one drawn from the same history.
    found = await timeline_of(bot.desk.store, KEY)
    assert found is not None
    assert [(p.claim, p.value.kind) for p in found.points] == [
        (False, "number"), (False, "range"), (False, "text"), (False, "number"), (True, "number"),
    ]  # fmt: skip
    assert photo.params["photo"] == render_timeline(found)


async def test_a_section_draws_its_figure_changed_last(bot: RunningBot) -> None:
    await editor(bot, "/set belarus_active_army ~65k")
    photo = await timeline(bot, "forces")
    assert caption(photo).startswith("📈 Belarus's active-duty army: its values over time")
    assert "• Aug 2024: around 60,000 personnel (per the cable)" in caption(photo)


async def test_an_unknown_figure_gets_the_usage_with_real_keys(bot: RunningBot) -> None:
    reply = visible_text((await bot.say("/timeline nonsense")).params["text"])
    assert reply.startswith("⚠️ No figure or section “nonsense” here.")
    assert KEY in reply


def test_the_key_names_a_claim_only_where_one_is_drawn() -> None:
    figure = Point("2024-08", Value.number(10_000, approx=True, unit="troops"), "per the cable")
    claim = Point("2024-09-02", Value.number(120_000, unit="troops"), "Belarus", claim=True)
    plain = render_timeline(Timeline(KEY, "Russian troops", (figure,)))
    with_claim = render_timeline(Timeline(KEY, "Russian troops", (figure, claim)))
    # The key's line "Hollow, hatched: a side's claim." takes room only under a claim.
    assert png_size(with_claim)[1] > png_size(plain)[1]
