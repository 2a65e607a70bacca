"""Read what editors type: values ("~20k", "10-15k"), dates, source URLs, plain text, and
the one-line forms of a new fact or claim (fields separated by |).

Every reader returns a clean value or raises InputError with a reason an editor can act on.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from briefings.facts.values import Value

MAX_TEXT = 300
MAX_URL = 500
MAX_NUMBER = 1e12


CLAIM_FIELDS: tuple[str, ...] = ("claimant", "claim", "figure", "verdict", "reasoning", "source")


class InputError(ValueError):
    """What an editor typed cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class FactDraft:
    """A new fact as an editor describes it."""

    section: str
    label: str
    value: Value
    claimant: str
    as_of: str
    source_url: str | None = None
    side: str | None = None


@dataclass(frozen=True, slots=True)
class ClaimDraft:
    """A new claim: who claims what, and the verdict on it where there is one."""

    claimant: str
    claim: str
    as_of: str
    value: Value | None = None
    verdict: str | None = None
    reasoning: str | None = None
    source_url: str | None = None


_APPROX = re.compile(r"^(?:~|≈|about\b|approx(?:imately|\.)?|around\b|c\.|ca\.|some\b)\s*", re.I)
# A thousands or millions suffix sits right on the digits ("20k"): "12 m" is 12 metres.
_NUMBER = r"(\d[\d,]*(?:\.\d+)?)([kKmM](?=\s|$|[-–—%]))?"
# A unit follows after a space ("300 tanks") or straight on when it is a percent sign.
_UNIT = r"(\s+\D.*|%.*)?"
_RANGE = re.compile(rf"^{_NUMBER}\s*(?:-|–|—|to)\s*{_NUMBER}{_UNIT}$")
_SINGLE = re.compile(rf"^{_NUMBER}{_UNIT}$")
_MULTIPLIERS = {"k": 1_000, "m": 1_000_000}
_TEXT_PREFIX = "text:"
# What ends a line (str.splitlines' list): control characters but for the last two, which
# Unicode files as separators.
_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
# One word of digits mixed with letters ("2O000", "1O-15k"): a number mistyped, not words.
_LOOKS_NUMERIC = re.compile(r"(?=\S*\d)[\dOoIl.,~kKmM%–—-]+")


def clean_text(raw: str, what: str = "text", limit: int = MAX_TEXT) -> str:
    """Trim text and refuse the empty, the overlong (never cut), line breaks and control
    characters: every such text is one line of a briefing or a list."""
    text = raw.strip()
    if not text:
        raise InputError(f"the {what} is empty")
    if len(text) > limit:
        raise InputError(f"the {what} is {len(text)} characters; keep it to {limit} at most")
    if any(char in _LINE_BREAKS for char in text):
        raise InputError(f"the {what} runs over more than one line: keep it on one line")
    if any(unicodedata.category(char) == "Cc" for char in text):
        raise InputError(f"the {what} contains control characters")
    return text


def optional_text(raw: str, what: str, limit: int = MAX_TEXT) -> str:
    """As clean_text, but nothing typed is allowed: the empty string."""
    return clean_text(raw, what, limit) if raw.strip() else ""


def parse_value(raw: str, current: Value | None = None) -> Value:
    """Read a value as an editor types it; keep the current unit unless one is typed.

    Numbers: 20000, 20,000, 20k, ~20k, about 1.5k. Ranges: 10-15k, 10,000–15,000.
    A unit may follow: "300 tanks", "30-40%". Words: "a few thousand", or "text: ..." to
    store words where a number stood.
    """
    text = clean_text(raw, "value")
    if text.lower().startswith(_TEXT_PREFIX):
        # Words typed whole: a number's unit would not fit them ("a large number personnel").
        return Value.words(clean_text(text[len(_TEXT_PREFIX) :], "value"))
    approx = bool(_APPROX.match(text))
    body = _APPROX.sub("", text, count=1)
    if (match := _RANGE.match(body)) is not None:
        low_digits, low_suffix, high_digits, high_suffix, unit = match.groups()
        # "10-15k": a suffix on the high end alone counts for both ends.
        low = _number(low_digits, low_suffix or high_suffix)
        high = _number(high_digits, high_suffix)
        if low > high:
            raise InputError("the range's low end is above its high end")
        return Value.range(low, high, _typed_unit(unit) or _unit(current), approx)
    if (match := _SINGLE.match(body)) is not None:
        digits, suffix, unit = match.groups()
        return Value.number(_number(digits, suffix), _typed_unit(unit) or _unit(current), approx)
    if current is not None and current.kind != "text":
        raise InputError(
            "this fact holds a number: type one like 20000, 20k, ~20k or 10-15k "
            '(or "text: a few thousand" to store words instead)'
        )
    if _LOOKS_NUMERIC.fullmatch(body):
        raise InputError(
            f"{body!r} is not a number as typed (a letter O for a zero?): type one like 20000"
            ' or 10-15k, or "text: ..." to store it as words'
        )
    return Value.words(text, _unit(current))


def parse_as_of(raw: str, today: date) -> str:
    """Read an as-of date: 2024-09-01, 2024-09, "today" or "yesterday"; never the future."""
    text = raw.strip().lower()
    if text == "today":
        return today.isoformat()
    if text == "yesterday":
        return (today - timedelta(days=1)).isoformat()
    try:
        if re.fullmatch(r"\d{4}-\d{2}", text):
            day = date.fromisoformat(text + "-01")
            result = text
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = date.fromisoformat(text)
            result = text
        else:
            raise ValueError(text)
    except ValueError:
        raise InputError("dates look like 2024-09-01, 2024-09, today or yesterday") from None
    if day > today:
        raise InputError("the as-of date is in the future")
    return result


def is_date(raw: str) -> bool:
    return bool(re.fullmatch(r"\d{4}-\d{2}(-\d{2})?|today|yesterday", raw.strip().lower()))


def parse_source_url(raw: str) -> str:
    """Read a source link: a single http(s) URL."""
    url = raw.strip()
    if not re.fullmatch(r"https?://[^\s/<>\"']+[^\s<>\"']*", url) or len(url) > MAX_URL:
        raise InputError("a source must be one http:// or https:// link")
    return url


def is_url(raw: str) -> bool:
    return raw.strip().lower().startswith(("http://", "https://"))


def _number(digits: str, suffix: str | None) -> float:
    if "," in digits and not re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", digits):
        raise InputError(f"{digits!r} is not a number: commas separate thousands, as in 20,000")
    value = float(digits.replace(",", "")) * _MULTIPLIERS.get((suffix or "").lower(), 1)
    if value > MAX_NUMBER:
        raise InputError("that number is too large")
    return value


def _typed_unit(raw: str | None) -> str | None:
    unit = (raw or "").strip()
    return clean_text(unit, "unit", 40) if unit else None


def _unit(current: Value | None) -> str | None:
    return current.unit if current is not None else None


def split_said_by(line: str) -> tuple[str, str | None]:
    """Split "<the rest> by <who>" into the rest and who says so (None when not named)."""
    rest, by, who = line.rpartition(" by ")
    if not by or not who.strip() or not rest.strip():
        return line, None
    return rest, who.strip()


def parse_fact_line(line: str, today: date, sections: Sequence[str]) -> FactDraft:
    """section | label | value | claimant [| source URL] [| as-of date], in one of sections."""
    fields = [field.strip() for field in line.split("|")]
    if not 4 <= len(fields) <= 6:
        raise InputError("separate the fields with |: section, label, value, claimant")
    section, label, value, claimant, *extra = fields
    if section.lower() not in sections:
        raise InputError(f"sections are: {', '.join(sections)}")
    source_url = as_of = None
    for item in extra:
        if is_url(item):
            source_url = parse_source_url(item)
        elif item and item != "-":  # "-" skips a field, as in /claim new
            as_of = parse_as_of(item, today)
    return FactDraft(
        section=section.lower(),
        label=clean_text(label, "label", 100),
        value=parse_value(value),
        claimant=clean_text(claimant, "claimant", 120),
        as_of=as_of or today.isoformat(),
        source_url=source_url,
    )


def parse_claim_line(line: str, today: date) -> ClaimDraft:
    """claimant | claim [| figure] [| verdict] [| reasoning] [| source URL]; "-" skips a field."""
    fields = [field.strip() for field in line.split("|")]
    if len(fields) < 2 or len(fields) > 6:
        raise InputError("separate the claim's fields with |")
    fields += [""] * (6 - len(fields))
    claimant, text, figure, verdict, reasoning, source = fields

    def given(raw: str) -> bool:
        return raw not in ("", "-")

    return ClaimDraft(
        claimant=clean_text(claimant, "claimant", 120),
        claim=clean_text(text, "claim"),
        as_of=today.isoformat(),
        value=parse_value(figure) if given(figure) else None,
        verdict=clean_text(verdict, "verdict", 120) if given(verdict) else None,
        reasoning=clean_text(reasoning, "reasoning", 600) if given(reasoning) else None,
        source_url=parse_source_url(source) if given(source) else None,
    )
