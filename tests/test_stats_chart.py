"""The /stats chart: drawn as the forces chart is (its palette, font and width, for a phone),
with whole numbers on its axes, and sent with a caption that says the period it covers."""

from __future__ import annotations

import io
from datetime import date, timedelta

from PIL import Image

from bench import factories
from bot.stats.chart import HEIGHT, render_stats_chart, stats_caption, stats_figure
from bot.stats.store import DayFigures, Figures
from briefings.rendering.chart import BACKGROUND, DPI, WIDTH
from briefings.rendering.telegram_html import visible_text
from tests.auxil.fake_telegram import png_size
from tests.conftest import RunningBot

LAST = date(2026, 12, 6)


def figures_of(readers: list[int], joined: list[int], left: list[int]) -> Figures:
    days = [
        DayFigures((LAST - timedelta(days=29 - n)).isoformat(), readers[n % len(readers)],
                   joined[n % len(joined)], left[n % len(left)], 0, 0)
        for n in range(30)
    ]  # fmt: skip
    return Figures(days, days[-1].readers, 3, [], 2, [], [])


def rgb(colour: str) -> tuple[int, int, int]:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def test_counts_of_people_are_on_whole_number_axes() -> None:
    # A few readers a day: matplotlib's own ticks would be 0, 0.5, 1, 1.5 ...
    figure = stats_figure(figures_of([1, 3, 2, 0], [1, 0], [0, 1]))
    readers, subscribers = figure.axes
    for axes in (readers, subscribers):
        low, high = axes.get_ylim()
        ticks = [t for t in axes.get_yticks() if low <= t <= high]
        assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks), ticks
    # Those who left are counted below the line, as a count: no minus sign.
    figure.canvas.draw()
    labels = [label.get_text() for label in subscribers.get_yticklabels()]
    assert "1" in labels and not any(label.startswith(("-", "−")) for label in labels)


def test_the_chart_is_drawn_like_the_forces_chart() -> None:
    png = render_stats_chart(figures_of([4, 2], [1], [1]))
    assert png_size(png) == (WIDTH, HEIGHT) == (1280, 1000)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.getpixel((4, 4)) == rgb(BACKGROUND)  # the slate, not white
    # Every word large enough to read at a phone's width (32 px: 10 pt at 400 wide).
    figure = stats_figure(figures_of([4, 2], [1], [1]))
    figure.canvas.draw()
    texts = [*figure.texts]
    for axes in figure.axes:
        texts += [axes.title, *axes.get_xticklabels(), *axes.get_yticklabels()]
    sizes = {
        text.get_fontproperties().get_size_in_points() * DPI / 72
        for text in texts
        if text.get_text()
    }
    assert sizes and min(sizes) >= 32
    drawn = " ".join(text.get_text() for text in texts)
    assert "7 Nov – 6 Dec 2026" in drawn and "6 Dec" in drawn


def test_the_caption_says_the_period() -> None:
    assert stats_caption(figures_of([1], [0], [0])) == (
        "📊 Readers a day and subscribers joined and left, 7 Nov – 6 Dec 2026 (30 UTC days)"
    )
    new_year = [DayFigures(day, 0, 0, 0, 0, 0) for day in ("2026-12-20", "2027-01-18")]
    across = Figures(new_year, 0, 0, [], 0, [], [])
    assert "20 Dec 2026 – 18 Jan 2027" in stats_caption(across)


async def test_stats_sends_its_chart_with_a_caption(bot: RunningBot) -> None:
    await bot.telegram.push_update(factories.editor_message("/stats"))
    [photo] = await bot.telegram.wait_for(
        lambda: bot.telegram.photos(factories.EDITOR_ID) or None, 30
    )
    today = date.fromisoformat(await bot.services.db.fetch_value("SELECT date('now')"))
    first = today - timedelta(days=29)
    caption = visible_text(photo.params["caption"])
    assert caption.startswith("📊 Readers a day and subscribers joined and left, ")
    assert f"{first.day} {first:%b}" in caption and f"{today.day} {today:%b %Y}" in caption
    assert png_size(photo.params["photo"]) == (1280, 1000)
