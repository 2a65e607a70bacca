"""Reading what editors type: values, dates, links and text."""

from __future__ import annotations

from datetime import date

import pytest

from briefings.facts.editor_input import (
    InputError,
    clean_text,
    parse_as_of,
    parse_source_url,
    parse_value,
)
from briefings.facts.values import Value

TROOPS = Value.number(20000, "troops", approx=True)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("20000", Value.number(20000, "troops")),
        ("20,000", Value.number(20000, "troops")),
        ("20k", Value.number(20000, "troops")),
        ("~20k", Value.number(20000, "troops", approx=True)),
        ("about 20K", Value.number(20000, "troops", approx=True)),
        ("1.5k", Value.number(1500, "troops")),
        ("10-15k", Value.range(10000, 15000, "troops")),
        ("10k-15k", Value.range(10000, 15000, "troops")),
        ("10,000–15,000", Value.range(10000, 15000, "troops")),
        ("10 to 15k", Value.range(10000, 15000, "troops")),
        ("300 tanks", Value.number(300, "tanks")),
        ("30-40%", Value.range(30, 40, "%")),
        ("2m", Value.number(2_000_000, "troops")),
        ("12 m", Value.number(12, "m")),
        # Words typed whole, unit and all: "a large number personnel" is nobody's phrase.
        ("text: a large number", Value.words("a large number")),
        ("text: a few thousand troops", Value.words("a few thousand troops")),
    ],
)
def test_values_are_read_as_editors_type_them(typed: str, expected: Value) -> None:
    assert parse_value(typed, TROOPS) == expected


def test_words_are_kept_for_a_textual_fact() -> None:
    current = Value.words("a few thousand", "troops")
    assert parse_value("several thousand", current) == Value.words("several thousand", "troops")
    assert parse_value("<b>&amp;</b> 🇺🇦", current).text == "<b>&amp;</b> 🇺🇦"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "the value is empty"),
        ("2O000", "this fact holds a number"),
        ("20,00", "commas separate thousands"),
        ("15-10k", "low end is above its high end"),
        ("9" * 20, "too large"),
        ("x" * 301, "keep it to 300 at most"),
        ("20k\x00", "control characters"),
    ],
)
def test_unusable_values_are_refused_with_a_reason(typed: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        parse_value(typed, TROOPS)


def test_dates() -> None:
    today = date(2026, 11, 25)
    assert parse_as_of("2024-09-01", today) == "2024-09-01"
    assert parse_as_of("2024-09", today) == "2024-09"
    assert parse_as_of("today", today) == "2026-11-25"
    assert parse_as_of("Yesterday", today) == "2026-11-24"
    for bad, reason in (
        ("2024-13-01", "dates look like"),
        ("2027-01-01", "future"),
        ("soon", "dates look like"),
    ):
        with pytest.raises(InputError, match=reason):
            parse_as_of(bad, today)


def test_links_and_text() -> None:
    assert parse_source_url(" https://example.org/a?b=1 ") == "https://example.org/a?b=1"
    for bad in ("javascript:alert(1)", "https://", "http://a b", "https://x/" + "a" * 600):
        with pytest.raises(InputError):
            parse_source_url(bad)
    assert clean_text("  Belarus \u202e ") == "Belarus \u202e"
    with pytest.raises(InputError, match="control characters"):
        clean_text("a\x1bb")
