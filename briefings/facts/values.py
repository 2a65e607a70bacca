"""A fact's value: a number, a range or a few words, and how readers see it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

ValueKind = Literal["number", "range", "text"]

# Units that count people: the figures a chart of forces or a brief can set side by side.
PEOPLE_UNITS = frozenset({"troops", "soldiers", "personnel", "servicemen", "fighters"})
# Units written straight after the number ("30–40%"), not after a space.
_UNITS_WITHOUT_SPACE = ("%",)


@dataclass(frozen=True, slots=True)
class Value:
    """A number (low), a range (low to high) or text, with an optional unit."""

    kind: ValueKind
    low: float | None = None
    high: float | None = None
    text: str | None = None
    approx: bool = False
    unit: str | None = None
    # The cable's own words for the amount ("around 10-15k", "barely mustered 30k"): shown as
    # they are, with no unit the cable did not write. An editor's value has none.
    given: str | None = None

    @classmethod
    def number(cls, n: float, unit: str | None = None, approx: bool = False) -> Value:
        return cls("number", low=n, unit=unit, approx=approx)

    @classmethod
    def range(
        cls, low: float, high: float, unit: str | None = None, approx: bool = False
    ) -> Value:
        return cls("range", low=low, high=high, unit=unit, approx=approx)

    @classmethod
    def words(cls, text: str, unit: str | None = None) -> Value:
        return cls("text", text=text, unit=unit)

    def display(self) -> str:
        """Render for readers: the cable's own words where it gave them ("around 10-15k"),
        else "about 20,000 troops", "10,000–15,000 troops", "30–40%"."""
        if self.given:
            return self.given
        if self.kind == "text":
            amount = self.text or ""
        elif self.kind == "range":
            amount = f"{format_number(self.low)}–{format_number(self.high)}"
        else:
            amount = format_number(self.low)
        if self.approx:
            amount = f"about {amount}"
        if not self.unit:
            return amount
        joiner = "" if self.unit.startswith(_UNITS_WITHOUT_SPACE) else " "
        return f"{amount}{joiner}{self.unit}"


def format_number(n: float | None) -> str:
    """Write a number with thousands separators, dropping a needless ".0"."""
    if n is None:
        return "?"
    if float(n).is_integer():
        return f"{int(n):,}"
    return f"{n:,.3f}".rstrip("0").rstrip(".")


def value_columns(value: Value | None) -> dict[str, Any]:
    """The value columns for a Value (all empty for none): the inverse of row_value."""
    if value is None:
        return {"value_kind": None, "value_low": None, "value_high": None,
                "value_text": None, "approx": 0, "unit": None, "value_given": None}  # fmt: skip
    return {
        "value_kind": value.kind,
        "value_low": value.low,
        "value_high": value.high,
        "value_text": value.text,
        "approx": int(value.approx),
        "unit": value.unit,
        "value_given": value.given,
    }


def counts_people(value: Value | None) -> bool:
    """Whether a value is a number of people (troops, personnel, ...)."""
    return value is not None and (value.unit or "").strip().lower() in PEOPLE_UNITS
