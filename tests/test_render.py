"""Briefings rendered from a real temporary database with the real templates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from briefings.facts.store import FactStore
from briefings.rendering.renderer import BriefingRenderer, BriefingTooLong, format_as_of
from briefings.rendering.sections import SECTIONS
from briefings.rendering.telegram_html import visible_text
from tests.storage import open_store, write
from tests.telegram_html_check import check_html

HOSTILE = "<script>alert('x')</script> & \"quoted\" 🇺🇦 עברית \u202e; DROP TABLE facts;--"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[FactStore]:
    store = await open_store(tmp_path / "c.db")
    yield store
    await store.db.close()


@pytest.mark.parametrize("name", [section.name for section in SECTIONS])
async def test_every_section_is_valid_telegram_html(store: FactStore, name: str) -> None:
    briefing = await BriefingRenderer(store).render(name)
    check_html(briefing.text)
    assert briefing.cable is not None
    assert briefing.cable.url == "https://thebismarckcables.substack.com"


async def test_forces_carries_each_figure_with_unit_claimant_and_date(store: FactStore) -> None:
    text = visible_text((await BriefingRenderer(store).render("forces")).text)
    for line in (
        "Belarus troops at the Ukrainian border: about 20,000 troops",
        "Belarus (official claim) · as of Aug 2024 · cable",
        "Belarus active-duty army: about 60,000 personnel",
        "30–40% of capacity",
        "Russian troops still in Belarus: about 10,000 troops",
        "Ukrainian troops in the Kursk incursion: 10,000–15,000 troops",
        "Most open-intelligence analysts (cited by the cable)",
        "Ukrainian troops on the northern border: a few thousand troops",
        "Russian troops redirected towards Kursk: about 30,000 troops",
        "Belarus-Ukraine border: 1,084 km",
        "674 miles",
    ):
        assert line in text


async def test_claims_sets_the_claim_beside_the_evidence(store: FactStore) -> None:
    text = visible_text((await BriefingRenderer(store).render("claims")).text)
    claim_at = text.index("Figure claimed: 120,000 troops")
    assert text.index("Verdict: preposterous") > claim_at
    assert "Pokrovsk" in text
    assert text.index("Ukrainian troops in the Kursk incursion: 10,000–15,000 troops") > claim_at
    # Where the cable gives no verdict, the briefing says so rather than invent one.
    assert "Verdict: none given by the source" in text


async def test_calculus_says_the_full_analysis_is_paid(store: FactStore) -> None:
    text = visible_text((await BriefingRenderer(store).render("calculus")).text)
    assert "could potentially end up costing him his regime" in text
    assert "The full analysis of what Lukashenko stands to gain is in the paid part" in text


async def test_sources_never_invents_a_post_url(store: FactStore) -> None:
    briefing = await BriefingRenderer(store).render("sources")
    assert 'href="https://thebismarckcables.substack.com"' in briefing.text
    assert "/p/" not in briefing.text
    assert "the cable's own address is not on record" in visible_text(briefing.text)
    assert "late August 2024" in briefing.text


async def test_hostile_text_is_shown_literally(store: FactStore) -> None:
    await write(
        store.db,
        "UPDATE facts SET label = ?, value_text = ? WHERE key = 'fortification_types'",
        (HOSTILE, HOSTILE),
    )
    for name in ("fortifications", "brief"):
        briefing = await BriefingRenderer(store).render(name)
        check_html(briefing.text)
        assert HOSTILE in visible_text(briefing.text)
    assert await store.db.fetch_value("SELECT COUNT(*) FROM facts") > 0


async def test_a_retired_fact_leaves_a_statement_of_silence(store: FactStore) -> None:
    await write(
        store.db,
        "UPDATE facts SET retired_at = 'now' WHERE key = 'ukraine_northern_border_troops'",
    )
    text = visible_text((await BriefingRenderer(store).render("fortifications")).text)
    assert "Manning them: not on record." in text


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
