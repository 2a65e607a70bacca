"""Find the figures in a sentence, each as the cable gives it, with its hedge and unit.

Plain rules, kept over quantulum3 after measuring both on the first cable's 9 figures
(`python -m bench.drafting --numbers`; quantulum3 0.10 installed apart, it is no dependency):

| | numbers found (of 7) | the seed's words (of 9) | wrongly found |
| --- | --- | --- | --- |
| these rules | 7 | 8 exactly, the 9th with its unit ("around 10-15k troops") | 0 |
| quantulum3 | 4 | 1 | 4: "2022" twice, "a third", "2.5 years" |

quantulum3 gives a number and a unit, never the hedge or verb the seed keeps ("barely
mustered 30k"), misses ranges written "10-15k" and words ("a few thousand"), takes years and
spans of time for figures, and brings inflect, num2words and typeguard (its classifier
scikit-learn).

What is not a figure: a year ("since 2022", "February 2022"), a span of time ("2.5 years",
"7-day"), an ordinal ("1st"), a clock time, and a number inside a name ("F-16", "Su-34").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from briefings.facts.values import PEOPLE_UNITS

_AMOUNT = r"\d{1,3}(?:,\d{3}){1,4}(?:\.\d{1,6})?|\d{1,15}(?:\.\d{1,6})?"
_SCALE = r"[kK](?![\w])|[mM](?![\w])|\s?(?:bn|mn)\b|\s(?:thousand|million|billion)\b"
_NUMBER = re.compile(
    rf"(?<![\w.,/:-])(?P<currency>[$€£]\s?)?(?P<low>{_AMOUNT})(?P<low_scale>{_SCALE})?"
    rf"(?:\s?(?:-|–|—|to)\s?(?P<high>{_AMOUNT})(?P<high_scale>{_SCALE})?)?"
    r"(?P<percent>\s?%|\s(?:percent|per\scent)\b)?(?![\w:])"
)
# Amounts in words: "a few thousand", "several hundred", "tens of thousands", "dozens of".
_WORD_AMOUNT = re.compile(
    r"\b(?:(?:a\sfew|a\scouple\sof|several|many|tens\sof|hundreds\sof)\s"
    r"(?:dozen|hundred|thousand|million|billion)s?"
    r"|(?:thousands|tens\sof\sthousands|hundreds\sof\sthousands|millions)(?=\sof\b)"
    r"|dozens(?=\sof\b))\b",
    re.IGNORECASE,
)
_SCALES = {"k": 1e3, "m": 1e6, "bn": 1e9, "mn": 1e6, "thousand": 1e3, "million": 1e6,
           "billion": 1e9}  # fmt: skip
_TIME_UNITS = re.compile(
    r"-?\s?(?:years?|months?|weeks?|days?|hours?|minutes?|seconds?|decades?|centuries|"
    r"century|yrs?|am|pm|a\.m\.|p\.m\.)\b",
    re.IGNORECASE,
)
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
]
# Words that count something, as a unit after the number ("120k troops", "300 tanks").
UNIT_WORDS = frozenset(
    PEOPLE_UNITS
    | {
        "people", "men", "women", "civilians", "casualties", "dead", "killed", "wounded",
        "refugees", "prisoners", "mercenaries", "reservists", "conscripts", "recruits",
        "tanks", "vehicles", "aircraft", "jets", "helicopters", "drones", "missiles",
        "shells", "rounds", "guns", "artillery", "brigades", "battalions", "divisions",
        "regiments", "units", "ships", "km", "kilometres", "kilometers", "miles", "metres",
        "meters", "tonnes", "tons", "barrels", "dollars", "euros", "votes", "seats",
    }
)  # fmt: skip
# Hedges that stay with a figure ("around 10k", "at most 30k"); the cable's, never ours.
_HEDGE_PHRASES = (
    "around", "about", "approximately", "roughly", "nearly", "almost", "some", "only", "just",
    "barely", "over", "under", "up to", "at least", "at most", "more than", "fewer than",
    "less than", "as many as", "as few as", "an estimated", "estimated", "reportedly",
    "likely", "probably", "possibly", "perhaps", "most likely", "maybe", "circa", "c.", "~",
    "well over", "close to", "upwards of", "still",
)  # fmt: skip
# Longest first, so that "most likely" is read as one hedge, not "likely" alone.
_HEDGES = sorted((tuple(p.split()) for p in _HEDGE_PHRASES), key=len, reverse=True)
# An adverb before a verb before the figure keeps the verb too: "barely mustered 30k",
# "most likely has only a few thousand".
_HEDGE_ADVERBS = frozenset(
    [
        "barely",
        "likely",
        "only",
        "just",
        "hardly",
        "reportedly",
        "allegedly",
        "probably",
        "possibly",
        "still",
        "scarcely",
    ]
)
_APPROXIMATE = frozenset(
    [
        "around",
        "about",
        "approximately",
        "roughly",
        "nearly",
        "almost",
        "some",
        "estimated",
        "circa",
        "c.",
        "~",
        "close",
        "upwards",
    ]
)
_WORD = re.compile(r"\S+")
_YEAR = re.compile(r"(?:1[89]|20)\d\d")
_STOP_AFTER_PERCENT = frozenset(
    [
        "of",
        "in",
        "to",
        "more",
        "less",
        "and",
        "or",
        "the",
        "a",
        "an",
        "by",
        "for",
        "from",
        "on",
        "at",
        "with",
        "than",
        "as",
        "is",
        "are",
        "was",
        "were",
        "higher",
        "lower",
        "up",
        "down",
    ]
)


@dataclass(frozen=True, slots=True)
class Quantity:
    """A figure in a sentence: its words as given (with hedge and adjacent unit), where
    they are, its number (low, and high for a range; none for words) and its unit."""

    given: str
    start: int  # of the given words, in the sentence
    number_start: int
    number_end: int
    low: float | None
    high: float | None
    approx: bool
    unit: str | None

    @property
    def end(self) -> int:
        return self.start + len(self.given)


def find_quantities(sentence: str) -> list[Quantity]:
    """The figures in a sentence, left to right."""
    found = []
    for match in _NUMBER.finditer(sentence):
        if _not_a_figure(sentence, match):
            continue
        low = _number(match["low"], match["low_scale"] or match["high_scale"])
        high = _number(match["high"], match["high_scale"]) if match["high"] else None
        percent = bool(match["percent"])
        found.append(_quantity(sentence, match.start(), match.end(), low, high, percent,
                               match["currency"]))  # fmt: skip
    for match in _WORD_AMOUNT.finditer(sentence):
        found.append(_quantity(sentence, match.start(), match.end(), None, None, False, None))
    return sorted(found, key=lambda q: q.number_start)


def _number(digits: str, scale: str | None) -> float:
    value = float(digits.replace(",", ""))
    return value * _SCALES.get((scale or "").strip().lower(), 1.0)


def _not_a_figure(sentence: str, match: re.Match[str]) -> bool:
    after = sentence[match.end() : match.end() + 12]
    if _TIME_UNITS.match(after):
        return True  # "2.5 years", "7-day", "8 pm"
    digits = match["low"]
    years = [d for d in (digits, match["high"]) if d]
    year_like = all(_YEAR.fullmatch(d) for d in years) and not (
        match["low_scale"] or match["high_scale"] or match["percent"] or match["currency"]
    )  # "since 2022", "2025 – 2026"
    if year_like:
        return not _unit_after(sentence, match.end())[0]  # "2000 troops" is a figure
    before = sentence[max(0, match.start() - 12) : match.start()].lower().split()
    if before and before[-1] in _MONTHS:
        return True  # "February 24"
    next_word = after.split()[0].lower() if after.split() else ""
    return next_word.rstrip(",.;") in _MONTHS  # "24 February"


def _unit_after(sentence: str, end: int) -> tuple[str | None, int]:
    """The unit the cable writes after a number: the next word, or the one after it
    ("10k Russian troops"); returns it and where the given words end (after an adjacent
    unit only)."""
    words = [(m.group(0), m.start(), m.end()) for m in _WORD.finditer(sentence, end, end + 60)]
    for index, (word, _, word_end) in enumerate(words[:2]):
        bare = word.strip(".,;:!?)”’\"'").lower()
        if bare in UNIT_WORDS:
            return bare, (end + len(sentence[end:word_end].rstrip(".,;:!?)”’\"'"))
                          if index == 0 else end)  # fmt: skip
        if not word[:1].isalpha():
            break
    return None, end


def _quantity(
    sentence: str, start: int, end: int, low: float | None, high: float | None,
    percent: bool, currency: str | None,
) -> Quantity:  # fmt: skip
    unit: str | None
    if percent:
        unit, given_end = "%", end
        following = _WORD.search(sentence, end, end + 40)
        if following and following.start() == end + 1:
            bare = following.group(0).rstrip(".,;:!?)”’\"'")
            if bare.isalpha() and bare.lower() not in _STOP_AFTER_PERCENT:
                unit, given_end = f"% {bare}", following.start() + len(bare)
    else:
        unit, given_end = _unit_after(sentence, end)
        if currency and unit is None:
            unit = currency.strip()
    given_start, approx = _hedge_before(sentence, start)
    given = sentence[given_start:given_end]
    return Quantity(given, given_start, start, end, low, high, approx, unit)


def _hedge_before(sentence: str, start: int) -> tuple[int, bool]:
    """Where the hedge before a figure begins (the figure's start if none), and whether it
    makes the figure approximate."""
    words = [(m.group(0), m.start()) for m in _WORD.finditer(sentence, max(0, start - 80), start)]
    words = [(w, s) for w, s in words if s + len(w) <= start]
    lowered = [w.lower().strip(",") for w, _ in words]
    at, begin, approx, took_verb = len(words), start, False, False
    while at > 0:
        phrase = next(
            (h for h in _HEDGES if len(h) <= at and tuple(lowered[at - len(h) : at]) == h), None
        )
        if phrase is not None and not words[at - 1][0].endswith(","):
            at -= len(phrase)
            begin = words[at][1]
            approx = approx or any(word in _APPROXIMATE for word in phrase)
            continue
        verb = lowered[at - 1]
        if (
            not took_verb
            and at > 1
            and lowered[at - 2] in _HEDGE_ADVERBS
            and verb.isalpha()
            and not words[at - 1][0][:1].isupper()
        ):
            took_verb = True  # "barely mustered": the adverb, and the verb it qualifies
            at -= 1
            begin = words[at][1]
            continue
        break
    return begin, approx
