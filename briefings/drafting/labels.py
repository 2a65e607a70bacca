"""A draft's label: what its value is about, in the cable's words around it.

A figure's label is what it counts ("10k Russian troops still in Belarus": "Russian troops
still in Belarus"), or its subject ("Belarus’s active duty army totals around 60,000"), with
where or what for ("Russia, to redirect towards Kursk"). A claim's label is what is claimed,
without the figure. A judgement's is the side or name it is about. Labels carry no hedge: it
stays with the value (docs/EDITORIAL.md, rule 2).
"""

from __future__ import annotations

import re

from briefings.drafting.quantities import Quantity
from briefings.situations import Situation

MAX_WORDS = 9
_PREPOSITIONS = frozenset(
    ["to", "in", "at", "near", "along", "towards", "toward", "into", "on", "from", "for", "across"]
)
# Words that open a clause without naming anything: dropped from a label's start.
_OPENERS = frozenset(
    [
        "and",
        "but",
        "so",
        "or",
        "with",
        "while",
        "whereas",
        "there",
        "are",
        "is",
        "also",
        "thus",
        "then",
        "now",
        "yet",
        "still",
        "in",
        "reality",
        "side",
        "note",
        "meanwhile",
        "however",
    ]
)
# Words that end a subject before its figure: a verb or an adverb ("totals", "manned at").
_VERBISH = frozenset(
    [
        "has",
        "have",
        "had",
        "is",
        "are",
        "was",
        "were",
        "totals",
        "total",
        "numbers",
        "number",
        "counts",
        "stands",
        "stood",
        "reached",
        "reaches",
        "mustered",
        "amassed",
        "deployed",
        "lost",
        "sent",
        "fielded",
        "holds",
        "keeps",
        "maintains",
        "includes",
        "comprises",
        "consists",
        "amounts",
        "rose",
        "fell",
        "grew",
        "of",
        "at",
        "to",
        "by",
        "about",
        "over",
        "only",
        "often",
        "some",
        "with",
        "than",
    ]
)
_PRONOUNS = frozenset(
    ["it", "they", "he", "she", "this", "that", "these", "those", "its", "their"]
)
_WORD = re.compile(r"\S+")
_CAPITALISED = re.compile(r"(?<![.!?]\s)\b[A-Z][\w’'-]+(?:\s[A-Z][\w’'-]+){0,3}")


def figure_label(text: str, clause_start: int, clause_end: int, quantity: Quantity) -> str:
    """What a figure counts, or its subject and what for."""
    after = _words(text[quantity.end : clause_end])
    while after and not after[0][:1].isalnum():
        after.pop(0)
    subject = _subject(_words(text[clause_start : quantity.start]))
    if subject and subject[0].lower() in _PRONOUNS:
        capitalised = _CAPITALISED.search(text[: quantity.start])
        subject = capitalised.group(0).split() if capitalised else []
    if (
        after
        and after[0].lower() not in _PRONOUNS
        and (after[0].lower() not in _PREPOSITIONS and not after[0].endswith("ing"))
    ):
        return _sentence_case(after[:MAX_WORDS])
    if subject and after and after[0].lower() in _PREPOSITIONS:
        return _sentence_case(
            [*subject[:-1], subject[-1] + ",", *after[: MAX_WORDS - len(subject)]]
        )
    return _sentence_case(subject or after[:MAX_WORDS] or ["Figure"])


def phrase_label(text: str, start: int, quantity: Quantity, end: int) -> str:
    """What a side claims, without the figure: "Ukraine has amassed troops near Belarus"."""
    before = _words(text[start : quantity.start])
    cue = next((i for i, w in enumerate(before) if w.lower().rstrip("s") in ("claim", "said",
                "say", "announced", "stated", "that")), None)  # fmt: skip
    before = before[cue + 1 :] if cue is not None else before
    while before and before[0].lower() in ("that", "to", "have", "has"):
        before.pop(0)
    unit = [quantity.unit] if quantity.unit and quantity.given.endswith(quantity.unit) else []
    after = _words(text[quantity.end : end])
    words = [*before, *unit, *after][: MAX_WORDS + 3]
    return _sentence_case(words) if words else "The claim"


def named_subject(text: str, situation: Situation | None) -> str | None:
    """The side (as the text names it) or the first name a judgement is about."""
    if situation is not None:
        lowered = text.lower()
        for side in situation.sides:
            for word in side.words:
                at = lowered.find(word)
                if at >= 0:
                    found = _WORD.match(text, text.rfind(" ", 0, at) + 1)
                    name = found.group(0) if found else ""
                    return re.sub(r"[’']s$", "", name.strip('.,;:()"“”')) or None
    found = _CAPITALISED.search(text, 1)
    return found.group(0) if found else None


def _words(text: str) -> list[str]:
    return [w.strip(",;:()") for w in text.split() if w.strip(",;:()")]


def _subject(words: list[str]) -> list[str]:
    while words and (words[0].lower() in _OPENERS or words[0].endswith(":")):
        words = words[1:]
    while words and (
        words[-1].lower() in _VERBISH or (words[-1].endswith(("ed", "ly")) and len(words) > 1)
    ):
        words = words[:-1]
    return words[-MAX_WORDS:]


def _sentence_case(words: list[str]) -> str:
    text = " ".join(words).strip(" -–—.,")
    return text[:1].upper() + text[1:]
