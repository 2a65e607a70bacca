"""The seed against the cable it comes from: every statement's voice and the cable's words.

docs/EDITORIAL.md, rule 2: each seeded statement carries the exact words of the cable it rests on
(a quote span), and words in curly quotes are the cable's own. Both are checked here against
the cable's text, shipped beside the seed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from briefings.facts.seed import SEED_DIR, read_seed

SEED = SEED_DIR / "cable-001-belarus-troops.toml"
CABLE_TEXT = SEED.with_suffix(".txt")
SHARED_COPY = Path(__file__).parents[2] / "shared" / "seed" / CABLE_TEXT.name
VOICES = {"side", "cable", "cited", "editors"}


def flat(text: str) -> str:
    """Whitespace as one space, and the cable's doubled single quotes as double quotes."""
    text = text.replace("‘‘", "“").replace("’’", "”")
    return re.sub(r"\s+", " ", text).strip()


CABLE = flat(CABLE_TEXT.read_text(encoding="utf-8"))
DATA = read_seed(SEED)
STATEMENTS: list[dict[str, Any]] = [*DATA["facts"], *DATA["claims"]]


def test_the_shipped_cable_is_the_newsletters_preview() -> None:
    if not SHARED_COPY.is_file():
        pytest.skip("no shared/ beside this checkout")
    assert CABLE_TEXT.read_bytes() == SHARED_COPY.read_bytes()


@pytest.mark.parametrize("item", STATEMENTS, ids=lambda item: item["key"])
def test_every_statement_rests_on_the_cables_own_words(item: dict[str, Any]) -> None:
    assert item.get("quote"), (
        f"{item['key']}: no quote span (only the editors' lines may lack one)"
    )
    assert flat(item["quote"]) in CABLE, item["key"]


@pytest.mark.parametrize("item", STATEMENTS, ids=lambda item: item["key"])
def test_words_in_quotation_marks_are_the_cables(item: dict[str, Any]) -> None:
    for field in ("label", "value", "claim", "reasoning"):
        text = item.get(field)
        if not isinstance(text, str):
            continue
        for quoted in re.findall(r"“([^”]+)”", text):
            assert flat(quoted) in CABLE, f"{item['key']}.{field}: “{quoted}”"


@pytest.mark.parametrize("item", DATA["facts"], ids=lambda item: item["key"])
def test_every_fact_has_one_voice(item: dict[str, Any]) -> None:
    voice = item.get("voice", "cable")
    assert voice in VOICES
    # Someone cited is named; a side's number is a claim, never a fact (rule 3).
    assert bool(item.get("claimant")) == (voice == "cited"), item["key"]
    assert voice != "side", f"{item['key']}: a side's statement belongs in [[claims]]"


def test_claims_name_their_side_and_whose_verdict_it_is() -> None:
    sides = {side["label"].split()[-1] for side in DATA["sides"]}
    for claim in DATA["claims"]:
        assert claim["claimant"] in sides
        if claim.get("verdict"):
            assert claim["verdict_by"] == "cable"
            assert flat(claim["verdict"]) in CABLE  # "preposterous": the cable's word


def test_no_words_the_cable_does_not_use() -> None:
    # What readers saw before this seed (issue 12): each came from outside the cable.
    seeded = " ".join(str(value) for item in STATEMENTS for value in item.values())
    for words in ("official claim", "late August", "1084", "1,084", "km"):
        assert not re.search(rf"\b{words}\b", seeded), words
        assert not re.search(rf"\b{words}\b", CABLE), words
    assert DATA["cable"]["dated_by"] == "editors"  # the preview carries no date
