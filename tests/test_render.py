"""Briefings rendered from a real temporary database with the real templates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bench import factories
from bench.storage import open_store, write
from briefings.facts.store import FactStore
from briefings.rendering.renderer import BriefingRenderer, BriefingTooLong, format_as_of
from briefings.rendering.telegram_html import visible_text
from tests.telegram_html_check import check_html

HOSTILE = "<script>alert('x')</script> & \"quoted\" 🇺🇦 עברית \u202e; DROP TABLE facts;--"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[FactStore]:
    store = await open_store(tmp_path / "c.db")
    yield store
    await store.db.close()


@pytest.mark.parametrize("name", [section.name for section in factories.SECTIONS])
async def test_every_section_is_valid_telegram_html(store: FactStore, name: str) -> None:
    briefing = await BriefingRenderer(store).render(name)
    check_html(briefing.text)
    assert briefing.cable is not None
    assert briefing.cable.url == "https://thebismarckcables.substack.com"


async def test_forces_carries_each_figure_with_unit_claimant_and_date(store: FactStore) -> None:
    text = visible_text((await BriefingRenderer(store).render("forces")).text)
    for line in (
        # Each figure as the cable gives it, its hedge with it, no unit it does not write.
        "Belarus's active-duty army: around 60,000 personnel\n",
        "Belarus's combat units, often manned at: only 30-40% capacity\n",
        "Russian troops still in Belarus: around 10k\n",
        "Ukrainian troops in the Kursk incursion: around 10-15k"
        " (most open intel analysts, per the cable)\n",
        "Ukraine, on its northern border: most likely has only a few thousand troops\n",
        "Russia, to redirect towards Kursk: barely mustered 30k\n",
        # The cable's "674- long" with no unit: no unit is invented, and the gap is said.
        "The Belarus-Ukraine border's length: 674 (the cable gives no unit)\n",
        # A side's number is a claim, apart from the assessed figures.
        "The sides' claims\n• Belarus claims it has deployed nearly a third of its armed"
        " forces along the border: approximately 20,000 troops.",
        # One credit for every line that is the cable's, with the editors' dating said.
        "Per the cable unless marked: The Bismarck Cables, Aug 2024 (the editors' dating).",
    ):
        assert line in text
    for words in ("km", "official claim", "late August", "from the north", "1,084", "30,000"):
        assert words not in text
    assert "/sources" not in text  # no pointer that says nothing


async def test_claims_sets_the_claim_beside_the_evidence(store: FactStore) -> None:
    text = visible_text((await BriefingRenderer(store).render("claims")).text)
    claim_at = text.index("Belarus claims Ukraine has amassed troops near Belarus")
    assert text.index("120k troops. The cable's verdict: preposterous.") > claim_at
    assert "Pokrovsk" in text
    assert text.index("Ukrainian troops in the Kursk incursion: around 10-15k") > claim_at
    # Where the cable gives no verdict, the briefing says nothing of one (rule 3).
    assert "Verdict: none" not in text and "none given" not in text
    assert text.count("approximately 20,000 troops") == 1  # one record, shown once


async def test_calculus_says_what_it_holds_and_that_the_rest_is_paid(store: FactStore) -> None:
    text = visible_text((await BriefingRenderer(store).render("calculus")).text)
    assert text.startswith("♟ Before Lukashenko’s calculus: what the free preview says\n")
    # "him" is named, and the cable's own judgement of the bar stays.
    assert "could potentially end up costing” Lukashenko “his regime" in text
    assert "that is not really a very high bar" in text
    # The paywall line names the cable, not its month.
    assert (
        "The free preview stops here: the rest of “Belarus accumulates troops near Ukraine"
        " - playing risky games with Putin and the West” is for subscribers." in text
    )


async def test_fortifications_say_after_the_first_attempt(store: FactStore) -> None:
    text = visible_text((await BriefingRenderer(store).render("fortifications")).text)
    assert "after the first attempt back in February 2022" in text
    assert "Since" not in text


async def test_the_brief_is_one_phone_screen_bottom_line_first(store: FactStore) -> None:
    briefing = await BriefingRenderer(store).render("brief")
    text = visible_text(briefing.text)
    assert briefing.length <= 900
    assert text.index("Bottom line") < text.index("What happened") < text.index("Claims")
    bottom = text[text.index("Bottom line") : text.index("What happened")]
    assert bottom.count("• ") == 3
    # The cable's headline verdict and conclusions, its modality kept, no word it lacks.
    for words in (
        "“optics vs actual potential threat”",
        "“will end up acting as a “fixing” operation”".replace("“fixing”", "‘‘fixing’’"),
        "“would likely capture a few towns only”",
        "“any meaningful gains” are “unlikely”",
    ):
        assert words in text, words
    assert "real offensive" not in text
    # Figures as the cable gives them, each in one form; no pointer that says nothing.
    assert "120k troops" in text and "120,000" not in text
    assert "/calculus" not in text and "/sources" not in text


async def test_a_long_brief_leaves_out_what_the_sections_hold(store: FactStore) -> None:
    await write(
        store.db, "UPDATE facts SET value_text = ? WHERE key = 'news_buildup'", ("x" * 600,)
    )
    briefing = await BriefingRenderer(store).render("brief")
    assert briefing.length <= 900
    text = visible_text(briefing.text)
    assert text.startswith("📋 Belarus masses troops on the Ukrainian border\n\nBottom line")
    assert "Claims" not in text  # left out first: /claims holds them


async def test_sources_never_invents_a_post_url(store: FactStore) -> None:
    briefing = await BriefingRenderer(store).render("sources")
    assert 'href="https://thebismarckcables.substack.com"' in briefing.text
    assert "/p/" not in briefing.text
    assert "the cable's own address is not on record" in visible_text(briefing.text)
    assert "Aug 2024 (the editors' dating: the free preview carries no date)" in visible_text(
        briefing.text
    )


async def test_hostile_text_is_shown_literally(store: FactStore) -> None:
    await write(
        store.db,
        "UPDATE facts SET label = ?, value_text = ?"
        " WHERE key IN ('fortification_types', 'bottom_threat')",
        (HOSTILE, HOSTILE),
    )
    for name in ("fortifications", "brief"):
        briefing = await BriefingRenderer(store).render(name)
        check_html(briefing.text)
        assert HOSTILE in visible_text(briefing.text)
    assert await store.db.fetch_value("SELECT COUNT(*) FROM facts") > 0


async def test_a_retired_fact_leaves_a_statement_of_silence(store: FactStore) -> None:
    await write(store.db, "UPDATE facts SET retired_at = 'now' WHERE section = 'fortifications'")
    text = visible_text((await BriefingRenderer(store).render("fortifications")).text)
    assert "Nothing on Ukraine's northern defences is on record." in text


async def test_a_briefing_over_telegrams_limit_is_refused(store: FactStore) -> None:
    await write(store.db, "UPDATE facts SET note = ? WHERE key = 'border_length'", ("x" * 5000,))
    with pytest.raises(BriefingTooLong) as raised:
        await BriefingRenderer(store).render("forces")
    assert raised.value.length > 4096


def test_as_of_dates_read_at_their_precision() -> None:
    assert format_as_of("2024-08") == "Aug 2024"
    assert format_as_of("2024-08-27") == "27 Aug 2024"
    assert format_as_of("late August 2024") == "late August 2024"
    assert format_as_of(None) == "date not recorded"
