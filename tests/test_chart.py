"""The forces chart, drawn from a real temporary database: what it shows, and the PNG itself."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from matplotlib.colors import to_rgba
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from PIL import Image

from bench.storage import open_store, write
from briefings.facts.editing import Editor, FactEditor
from briefings.facts.editor_input import FactDraft
from briefings.facts.store import FactStore
from briefings.facts.values import Value
from briefings.rendering.chart import (
    BACKGROUND,
    DPI,
    MAX_HEIGHT,
    MIN_HEIGHT,
    WIDTH,
    forces_figure,
    render_forces_chart,
)  # fmt: skip
from briefings.rendering.chart_data import Bar, ForcesChart, Group, load_forces_chart
from briefings.rendering.renderer import BriefingRenderer
from tests.auxil.fake_telegram import png_size

EDITOR = Editor(id=1, name="Edith")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[FactStore]:
    store = await open_store(tmp_path / "c.db")
    yield store
    await store.db.close()


def editor_of(store: FactStore) -> FactEditor:
    return FactEditor(store, BriefingRenderer(store))


def assert_valid_png(png: bytes) -> None:
    width, height = png_size(png)
    assert width == WIDTH == 1280 and MIN_HEIGHT <= height <= MAX_HEIGHT == 2000
    image = Image.open(io.BytesIO(png))
    image.verify()  # every chunk's checksum, to the end
    assert (image.format, image.mode) == ("PNG", "RGBA")


def texts(chart: ForcesChart) -> list[Text]:
    """Every piece of text the chart draws, top to bottom."""
    drawn = forces_figure(chart).axes[0].texts
    return sorted(drawn, key=lambda text: (text.get_position()[1], text.get_position()[0]))


def words(chart: ForcesChart) -> str:
    """The chart's text as one line: wrapped lines joined as they read."""
    return " ".join(text.get_text() for text in texts(chart))


async def test_the_chart_is_a_png_1280_wide(store: FactStore) -> None:
    png = render_forces_chart(await load_forces_chart(store))
    assert_valid_png(png)
    # The same facts draw the same bytes: the PNG can be cached, and compared.
    assert render_forces_chart(await load_forces_chart(store)) == png


async def test_an_editors_change_makes_a_new_image(store: FactStore) -> None:
    before = render_forces_chart(await load_forces_chart(store))
    new = Value.number(25_000, "troops", approx=True)
    await editor_of(store).set_value("russian_troops_in_belarus", new, EDITOR)
    chart = await load_forces_chart(store)
    after = render_forces_chart(chart)
    assert_valid_png(after)
    assert after != before
    changed = next(bar for bar in chart.figures if bar.label == "Russian troops still in Belarus")
    assert changed.value == new and changed.claimant == "per the editors"
    assert chart.sources == ("The Bismarck Cables, Aug 2024 (the editors' dating)", "the editors")


async def test_the_bars_come_from_the_facts_and_claims(store: FactStore) -> None:
    chart = await load_forces_chart(store)
    # Every forces figure counted in people, in the curated order within its side: not the
    # km, not the %; each in the cable's own words.
    assert [(bar.label, bar.low, bar.high, bar.value.display(), bar.claimant)
            for bar in chart.figures] == [
        ("Belarus's active-duty army", 60_000, None, "around 60,000 personnel", "per the cable"),
        ("Russian troops still in Belarus", 10_000, None, "around 10k", "per the cable"),
        ("Russia, to redirect towards Kursk", 30_000, None, "barely mustered 30k",
         "per the cable"),
        ("Ukrainian troops in the Kursk incursion", 10_000, 15_000, "around 10-15k",
         "most open intel analysts, per the cable"),
        # Words, not a number: a row with no bar rather than an invented figure.
        ("Ukraine, on its northern border", None, None,
         "most likely has only a few thousand troops", "per the cable"),
    ]  # fmt: skip
    # Belarus's own numbers are claims, drawn apart as claims (rule 3), each verdict with
    # its voice; where the source gives none, none is drawn.
    assert [(bar.kind, bar.low, bar.value.display(), bar.claimant, bar.verdict)
            for bar in chart.claims] == [
        ("claim", 20_000, "approximately 20,000 troops", "Belarus", None),
        ("claim", 120_000, "120k troops", "Belarus", "The cable's verdict: preposterous"),
    ]  # fmt: skip
    assert chart.scale == 120_000
    assert chart.as_of == ("Aug 2024",) and not chart.dates_differ
    assert chart.sources == ("The Bismarck Cables, Aug 2024 (the editors' dating)",)
    assert chart.title == "Belarus masses troops on the Ukrainian border"


async def test_the_bars_are_grouped_by_side_and_by_place(store: FactStore) -> None:
    chart = await load_forces_chart(store)
    # The figures are about the border, Belarus and Kursk: each group is one side's figures
    # about one place, so Kursk's numbers never stand beside the border's.
    assert [(group.heading, [bar.label for bar in group.bars])
            for group in chart.figure_groups] == [
        ("🇧🇾 Belarus", ["Belarus's active-duty army"]),
        ("🇷🇺 Russia · Belarus", ["Russian troops still in Belarus"]),
        ("🇷🇺 Russia · Kursk", ["Russia, to redirect towards Kursk"]),
        ("🇺🇦 Ukraine · Kursk", ["Ukrainian troops in the Kursk incursion"]),
        ("🇺🇦 Ukraine · Belarus-Ukraine border", ["Ukraine, on its northern border"]),
    ]  # fmt: skip
    assert [group.heading for group in chart.claim_groups] == ["Belarus-Ukraine border"]
    # Drawn so: each heading above its own bars, in that order, claims below the figures.
    drawn = words(chart)
    order = ["BELARUS", "Belarus's active-duty army", "RUSSIA · BELARUS",
             "Russian troops still in Belarus", "RUSSIA · KURSK", "Russia, to redirect",
             "UKRAINE · KURSK", "Ukrainian troops in the Kursk incursion",
             "UKRAINE · BELARUS-UKRAINE BORDER", "Ukraine, on its northern border",
             "CLAIMS: A SIDE'S WORD", "BELARUS-UKRAINE BORDER",
             "Belarus claims: it has"]  # fmt: skip
    drawn, at = drawn.replace("  · ", " · "), 0
    for part in order:  # each found after the one before it
        found = drawn.find(part, at)
        assert found >= 0, f"{part!r} is not drawn after {drawn[:at][-60:]!r}"
        at = found + len(part)


async def test_one_place_names_no_place(store: FactStore) -> None:
    # Only the border left: no group says where, as no figure is about anywhere else.
    for key in ("belarus_active_army", "russian_troops_in_belarus", "russia_kursk_redirect",
                "ukraine_kursk_troops"):  # fmt: skip
        await editor_of(store).retire(key, EDITOR)
    chart = await load_forces_chart(store)
    assert [group.heading for group in chart.figure_groups] == ["🇺🇦 Ukraine"]
    assert [group.heading for group in chart.claim_groups] == [""]
    assert "BELARUS-UKRAINE BORDER" not in words(chart)


async def test_each_figure_is_drawn_in_the_cables_own_words(store: FactStore) -> None:
    chart = await load_forces_chart(store)
    drawn = words(chart)
    for given in ("around 60,000 personnel", "around 10k", "barely mustered 30k",
                  "around 10-15k", "approximately 20,000 troops", "120k troops"):  # fmt: skip
        assert given in drawn
    # The figure in words is drawn, on its own track, with its words: not left to the text.
    assert "most likely has only a few thousand troops" in drawn
    assert "no number given" in drawn
    assert "more: see the text" not in drawn
    # No number form or unit the cable does not use.
    for made_up in ("30,000", "10,000", "15,000", "120,000", "30k troops", "10k troops"):
        assert made_up not in drawn
    # Whose each is, and the claims with the claimant and whose verdict.
    assert "most open intel analysts, per the cable" in drawn
    assert (
        "Belarus claims: Ukraine has amassed troops near Belarus, its reason to mobilize" in drawn
    )
    assert "The cable's verdict: preposterous" in drawn


async def test_claims_are_drawn_hollow_and_hatched(store: FactStore) -> None:
    chart = await load_forces_chart(store)
    patches = [p for p in forces_figure(chart).axes[0].patches if isinstance(p, Rectangle)]
    hatched = [p for p in patches if p.get_hatch() == "//" and to_rgba(p.get_facecolor())[3] == 0]
    # The two claim bars, and the key's swatch for them; no figure is drawn so.
    assert len(hatched) == len(chart.claims) + 1 == 3


# A figure an editor adds, from someone they cite, dated apart from the cable.
WAGNER = FactDraft(
    section="forces", label="Wagner fighters in Belarus",
    value=Value.range(3_000, 4_000, "fighters", approx=True),
    claimant="Reuters", as_of="2024-09-02",
    source_url="https://example.org/report",
)  # fmt: skip


async def test_each_bar_says_its_date_where_dates_differ(store: FactStore) -> None:
    assert "as of" not in words(await load_forces_chart(store))  # one date: the footer's
    await editor_of(store).add_fact(WAGNER, EDITOR)
    chart = await load_forces_chart(store)
    assert chart.dates_differ
    drawn = words(chart)
    row = drawn[drawn.index("Wagner fighters in Belarus") :]
    row = row[: row.index("about 3,000–4,000 fighters") + 50]
    assert "Reuters, per the editors" in row and "as of 2 Sep 2024" in row
    assert drawn.count("as of Aug 2024") == len(chart.figures) + len(chart.claims) - 1
    assert "Dates as marked on each bar" in drawn


async def test_a_figure_an_editor_adds_is_drawn_with_its_source(store: FactStore) -> None:
    await editor_of(store).add_fact(WAGNER, EDITOR)
    chart = await load_forces_chart(store)
    added = next(bar for bar in chart.figures if bar.label == "Wagner fighters in Belarus")
    assert (added.low, added.high) == (3_000, 4_000)
    assert chart.as_of == ("Aug 2024", "2 Sep 2024")
    assert chart.sources == ("The Bismarck Cables, Aug 2024 (the editors' dating)", "example.org")
    assert added.claimant == "Reuters, per the editors"
    assert_valid_png(render_forces_chart(chart))


async def test_the_footer_wraps_and_is_never_cut(store: FactStore) -> None:
    keys = ["belarus_active_army", "russian_troops_in_belarus"]
    for day, key in enumerate(keys, start=1):
        await editor_of(store).set_value(
            key, Value.number(1000 * day, "troops"), EDITOR,
            source_url=f"https://a-rather-long-source-name-{day}.example.org/report",
            as_of=f"2024-09-0{day}",
        )  # fmt: skip
    chart = await load_forces_chart(store)
    drawn = words(chart)
    for source in chart.sources:
        assert source in drawn
    assert "…" not in drawn  # nothing anywhere is cut short
    footer = [t for t in texts(chart) if "Sources:" in t.get_text()]
    assert footer  # and it took more than one line
    assert "a-rather-long-source-name-2.example.org" not in footer[0].get_text()


async def test_a_chart_of_one_figure_is_a_strip_not_a_square() -> None:
    bar = Bar("figure", "Russian troops in Belarus", Value.number(10_000, "troops"),
              "per the cable", None, "Aug 2024")  # fmt: skip
    one = ForcesChart("A quiet border", (Group("🇷🇺 Russia", None, (bar,)),), (),
                      ("Aug 2024",), ("A cable",))  # fmt: skip
    png = render_forces_chart(one)
    assert_valid_png(png)
    width, height = png_size(png)
    assert height < width / 2
    # The key shows only what is drawn: no range, no claim, so no key at all.
    drawn = words(one)
    assert "range" not in drawn and "claim" not in drawn.lower()


async def test_the_key_shows_only_what_is_drawn(store: FactStore) -> None:
    drawn = words(await load_forces_chart(store))
    assert "dotted end: the top of a range" in drawn and "hollow, hatched: a claim" in drawn
    await editor_of(store).retire("ukraine_kursk_troops", EDITOR)  # the one range
    drawn = words(await load_forces_chart(store))
    assert "the top of a range" not in drawn and "hollow, hatched: a claim" in drawn


async def test_every_word_is_readable_at_a_phones_width(store: FactStore) -> None:
    # Shown about 400 points wide, the image is scaled by 400/1280: 32 pixels are 10 points.
    figure = forces_figure(await load_forces_chart(store))
    sizes = {
        text.get_fontproperties().get_size_in_points() * DPI / 72 for text in figure.axes[0].texts
    }
    assert min(sizes) >= 32
    assert figure.get_facecolor()[:3] == tuple(int(BACKGROUND[i : i + 2], 16) / 255
                                               for i in (1, 3, 5))  # fmt: skip


async def test_anything_an_editor_types_is_drawn_literally(store: FactStore) -> None:
    # Emoji the font lacks are dropped (no warning, which would fail this suite), a "$" is
    # not TeX, and a label far too long is cut to fit.
    hostile = "🇺🇦 $x^2$ & <b>bold</b> עברית \u202e " + "very long " * 80
    await write(
        store.db,
        "UPDATE facts SET label = ?, claimant = ? WHERE key = 'russian_troops_in_belarus'",
        (hostile, hostile),
    )
    assert_valid_png(render_forces_chart(await load_forces_chart(store)))


async def test_charts_draw_in_threads_at_once(store: FactStore) -> None:
    chart = await load_forces_chart(store)
    pngs = await asyncio.gather(*(asyncio.to_thread(render_forces_chart, chart) for _ in range(3)))
    assert len(set(pngs)) == 1


def test_more_rows_than_fit_still_draw_one_image_of_the_largest_size() -> None:
    figures = tuple(
        Bar("figure", f"Figure {n}", Value.number(1_000 * n, "troops"), "X") for n in range(30)
    )
    claims = tuple(
        Bar("claim", f"Claim {n}", Value.range(1_000, 2_000 * n, "troops"), "Y") for n in range(9)
    )
    crowded = ForcesChart("Crowded", (Group("Side", None, figures),),
                          (Group(None, None, claims),), ("Aug 2024",), ("A cable",))  # fmt: skip
    png = render_forces_chart(crowded)
    assert_valid_png(png)
    assert png_size(png)[1] > MAX_HEIGHT - 150  # as tall as allowed, the rest left out
    drawn = words(crowded)
    # What did not fit is said, in each part; the footer and the key still stand.
    assert drawn.count("more: see the text") == 2
    assert "As of Aug 2024 · Source: A cable" in drawn and "hollow, hatched: a claim" in drawn


async def test_no_troop_figures_still_draws_a_chart() -> None:
    empty = ForcesChart(title="A quiet border", figure_groups=(), claim_groups=(), as_of=(),
                        sources=())  # fmt: skip
    assert_valid_png(render_forces_chart(empty))
    assert "No troop figures are on record." in words(empty)


def test_the_bot_starts_without_loading_matplotlib() -> None:
    # Half a second of a cold start went to importing matplotlib for the /stats and
    # /timeline charts: every chart imports it with its first drawing, in its own thread.
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, bot.app; print('matplotlib' in sys.modules)"],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    assert loaded.stdout.strip() == "False"
