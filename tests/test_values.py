"""How values read in a briefing."""

from briefings.facts.values import Value, format_number


def test_numbers_ranges_and_words_read_naturally() -> None:
    assert Value.number(20000, "troops", approx=True).display() == "about 20,000 troops"
    assert Value.range(10000, 15000, "troops").display() == "10,000–15,000 troops"
    assert Value.range(30, 40, "% of capacity").display() == "30–40% of capacity"
    assert Value.number(1084, "km").display() == "1,084 km"
    assert Value.words("a few thousand", "troops").display() == "a few thousand troops"
    assert Value.words("trenches and bunkers").display() == "trenches and bunkers"


def test_format_number_drops_needless_decimals() -> None:
    assert format_number(1084.0) == "1,084"
    assert format_number(2.5) == "2.5"
    assert format_number(1.084) == "1.084"
    assert format_number(None) == "?"
