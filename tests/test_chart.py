"""The forces chart, drawn from a real temporary database: what it shows, and the PNG itself."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from briefings.facts.editing import Editor, FactDraft, FactEditor
from briefings.facts.store import FactStore
from briefings.facts.values import Value
from briefings.rendering.chart import HEIGHT, WIDTH, render_forces_chart
from briefings.rendering.chart_data import Bar, ForcesChart, load_forces_chart
from briefings.rendering.renderer import BriefingRenderer
from tests.fake_telegram import png_size
from tests.storage import open_store, write

EDITOR = Editor(id=1, name="Edith")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[FactStore]:
    store = await open_store(tmp_path / "c.db")
    yield store
    await store.db.close()


def editor_of(store: FactStore) -> FactEditor:
    return FactEditor(store, BriefingRenderer(store))


def assert_valid_png(png: bytes) -> None:
    assert png_size(png) == (WIDTH, HEIGHT) == (1280, 1280)
    image = Image.open(io.BytesIO(png))
    image.verify()  # every chunk's checksum, to the end
    assert (image.format, image.mode) == ("PNG", "RGBA")


async def test_the_chart_is_a_png_of_the_fixed_size(store: FactStore) -> None:
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
    # Every forces figure counted in people, in the curated order: not the km, not the %.
    assert [(bar.label, bar.low, bar.high, bar.claimant) for bar in chart.figures] == [
        ("Belarus's active-duty army", 60_000, None, "per the cable"),
        ("Russian troops still in Belarus", 10_000, None, "per the cable"),
        ("Russian troops mustered to redirect towards Kursk (“barely”)", 30_000, None,
         "per the cable"),
        ("Ukrainian troops in the Kursk incursion", 10_000, 15_000,
         "most open intel analysts, per the cable"),
        # Words, not a number: a row with no bar rather than an invented figure.
        ("Ukrainian troops on the northern border (“most likely”)", None, None,
         "per the cable"),
    ]  # fmt: skip
    # Belarus's own numbers are claims, drawn apart as claims (rule 3), each verdict with
    # its voice; where the source gives none, none is drawn.
    assert [(bar.kind, bar.low, bar.claimant, bar.verdict) for bar in chart.claims] == [
        ("claim", 20_000, "Belarus", None),
        ("claim", 120_000, "Belarus", "The cable's verdict: preposterous"),
    ]
    assert chart.scale == 120_000
    assert chart.as_of == ("Aug 2024",)
    assert chart.sources == ("The Bismarck Cables, Aug 2024 (the editors' dating)",)
    assert chart.title == "Belarus masses troops on the Ukrainian border"


async def test_a_figure_an_editor_adds_is_drawn_with_its_source(store: FactStore) -> None:
    draft = FactDraft(
        section="forces", label="Wagner fighters in Belarus",
        value=Value.range(3_000, 4_000, "fighters", approx=True),
        claimant="Ukrainian border guard", as_of="2024-09-02",
        source_url="https://example.org/report",
    )  # fmt: skip
    await editor_of(store).add_fact(draft, EDITOR)
    chart = await load_forces_chart(store)
    assert chart.figures[-1].label == "Wagner fighters in Belarus"
    assert (chart.figures[-1].low, chart.figures[-1].high) == (3_000, 4_000)
    assert chart.as_of == ("Aug 2024", "2 Sep 2024")
    assert chart.sources == ("The Bismarck Cables, Aug 2024 (the editors' dating)", "example.org")
    assert chart.figures[-1].claimant == "Ukrainian border guard, per the editors"
    assert_valid_png(render_forces_chart(chart))


async def test_anything_an_editor_types_is_drawn_literally(store: FactStore) -> None:
    # Emoji the font lacks are dropped (no warning, which would fail this suite), a "$" is
    # not TeX, and a label far too long is cut to fit.
    hostile = "🇺🇦 $x^2$ & <b>bold</b> עברית \u202e " + "very long " * 80
    await write(
        store.db,
        "UPDATE facts SET label = ?, claimant = ? WHERE key = 'russian_troops_in_belarus'",
        (hostile, hostile),
    )
    store.changed()
    assert_valid_png(render_forces_chart(await load_forces_chart(store)))


async def test_charts_draw_in_threads_at_once(store: FactStore) -> None:
    chart = await load_forces_chart(store)
    pngs = await asyncio.gather(*(asyncio.to_thread(render_forces_chart, chart) for _ in range(3)))
    assert len(set(pngs)) == 1


def test_more_rows_than_fit_still_draw_one_image_of_the_fixed_size() -> None:
    figures = tuple(
        Bar("figure", f"Figure {n}", Value.number(1_000 * n, "troops"), "X") for n in range(30)
    )
    claims = tuple(
        Bar("claim", f"Claim {n}", Value.range(1_000, 2_000 * n, "troops"), "Y") for n in range(9)
    )
    crowded = ForcesChart("Crowded", figures, claims, ("Aug 2024",), ("A cable",))
    assert_valid_png(render_forces_chart(crowded))


async def test_no_troop_figures_still_draws_a_chart() -> None:
    empty = ForcesChart(title="A quiet border", figures=(), claims=(), as_of=(), sources=())
    assert_valid_png(render_forces_chart(empty))
