"""A draft the situation already has: the same side and subject drafted as a change to that
fact (with the new cable as its source and date), never as a second copy.

The subject is compared by the label's content words (lower case, possessives and plurals
dropped), and figures only with figures of the same family of unit (people, percent, other).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from briefings.drafting.models import Draft
from briefings.facts.models import Claim, Fact
from briefings.facts.values import PEOPLE_UNITS

# The share of the shorter label's content words the longer one must hold to be one subject.
SAME_SUBJECT = 0.6
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "from",
        "by",
        "with",
        "and",
        "or",
        "its",
        "it",
        "their",
        "his",
        "her",
        "still",
        "also",
        "now",
        "near",
        "along",
        "towards",
        "toward",
        "into",
        "s",
    ]
)
_WORD = re.compile(r"[a-z0-9]+")


def match_existing(
    drafts: Sequence[Draft], facts: Sequence[Fact] = (), claims: Sequence[Claim] = ()
) -> list[Draft]:
    """The drafts with each one that restates what the situation has dropped, and each
    one that gives another value for a fact or claim it has made a change to it."""
    kept = []
    for draft in drafts:
        if _restates(draft, facts, claims):
            continue
        if draft.kind == "claim":
            target = _same_claim(draft, claims)
            if target is not None:
                if _same_value(draft, target.value.given if target.value else None,
                               target.value.low if target.value else None):  # fmt: skip
                    continue
                draft = replace(draft, changes=target.key)
        elif draft.kind == "figure":
            fact = _same_fact(draft, facts)
            if fact is not None:
                value = fact.value
                if _same_value(draft, value.given or value.text, value.low, value.high):
                    continue
                draft = replace(draft, changes=fact.key, label=fact.label)
        kept.append(draft)
    return kept


def _restates(draft: Draft, facts: Sequence[Fact], claims: Sequence[Claim]) -> bool:
    """Whether the situation already has a statement on the same words of the cable (the
    same cable drafted again), with the same value where the draft is a figure."""
    items: list[Fact | Claim] = [*facts, *claims]
    for item in items:
        quote = item.quote
        if not quote or (quote not in draft.quote and draft.quote not in quote):
            continue
        value = item.value
        if (
            draft.low is None
            or value is None
            or _same_value(draft, value.given, value.low, value.high)
        ):
            return True
    return False


def _same_fact(draft: Draft, facts: Sequence[Fact]) -> Fact | None:
    for fact in facts:
        if fact.side != draft.side or (fact.value.kind == "text" and draft.low is not None):
            continue
        if _unit_family(fact.value.unit) != _unit_family(draft.unit) and draft.unit:
            continue
        if _same_subject(fact.label, draft.label):
            return fact
    return None


def _same_claim(draft: Draft, claims: Sequence[Claim]) -> Claim | None:
    for claim in claims:
        if (claim.claimant or "").lower() != (draft.who or "").lower():
            continue
        if _same_subject(claim.claim, draft.label):
            return claim
    return None


def _same_value(
    draft: Draft, given: str | None, low: float | None, high: float | None = None
) -> bool:
    if given and given.strip().lower() == draft.value.strip().lower():
        return True
    return low is not None and (low, high) == (draft.low, draft.high)


def _same_subject(a: str, b: str) -> bool:
    first, second = _content_words(a), _content_words(b)
    if not first or not second:
        return False
    shared = len(first & second)
    return shared / min(len(first), len(second)) >= SAME_SUBJECT


def _content_words(text: str) -> set[str]:
    words = _WORD.findall(text.lower().replace("’s", "").replace("'s", ""))
    return {w.rstrip("s") if len(w) > 3 else w for w in words if w not in _STOP}


def _unit_family(unit: str | None) -> str:
    bare = (unit or "").strip().lower()
    if bare in PEOPLE_UNITS or bare in ("people", "men"):
        return "people"
    return "percent" if bare.startswith("%") else bare or "none"
