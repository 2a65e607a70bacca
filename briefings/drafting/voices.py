"""Whose words: the cues that attribute part of a sentence to someone other than the cable.

"according to X", "X claims / said / announced ..." and "the claim that" (whose claim it is
comes from the sentences before) attribute the part of the sentence they stand in: the
sentence itself, or the parenthesis or dash-set clause holding the cue. X is a side when it
names one of the situation's sides (its `words`, `Situation.side_of`), someone the cable cites
otherwise. "we" is the cable itself. A hedge ("most likely") attributes nothing: it stays in
the value's words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from briefings.situations import Situation

_ACCORDING = re.compile(r"\baccording to\s", re.IGNORECASE)
_VERBS = re.compile(
    r"\b(?:claims?|claimed|says|said|announce[sd]|stated?s?|reported|reports|told|tells|"
    r"insist(?:s|ed)|alleg(?:es|ed)|assert(?:s|ed)|argu(?:es|ed)|warn(?:s|ed)|den(?:ies|ied)|"
    r"maintain(?:s|ed)|believes?|believed|acknowledg(?:es|ed)|admit(?:s|ted)|confirm(?:s|ed))"
    r"\b",
    re.IGNORECASE,
)
# Nouns that report someone's words: "the claim that", "Minsk's assertion that".
_NOUN_CUE = re.compile(
    r"\b(?:the|a|its|their|his|her|this|that|whose|[\w’'-]+[’']s)\s"
    r"(?:claims?|assertions?|allegations?|statements?)\s(?:that|of)\b",
    re.IGNORECASE,
)
# Where an attributed part of a sentence ends: a parenthesis, a dash between spaces, a ";".
_CLAUSE_BREAK = re.compile(r"[()]|\s[-–—]\s|;\s")
_WORD = re.compile(r"\S+")
# Words that end the name of whoever speaks, walking back from the verb.
_NOT_A_NAME = frozenset(
    [
        "and",
        "but",
        "that",
        "which",
        "who",
        "whom",
        "as",
        "while",
        "when",
        "because",
        "if",
        "so",
        "or",
        "then",
        "thus",
        "though",
        "although",
        "where",
        "whereas",
        "since",
        "after",
        "before",
        "until",
        "than",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "of",
        "course",
        "also",
        "to",
        "for",
        "with",
        "by",
        "on",
        "at",
        "in",
        "from",
        "into",
    ]
)
# Words between a name and its verb that are not part of the name: "Belarus has also said".
_AUXILIARIES = frozenset(
    [
        "has",
        "have",
        "had",
        "also",
        "is",
        "was",
        "were",
        "are",
        "will",
        "would",
        "could",
        "can",
        "may",
        "might",
        "reportedly",
        "publicly",
        "officially",
        "now",
        "recently",
        "repeatedly",
        "previously",
        "again",
        "even",
        "still",
        "already",
        "once",
        "first",
        "openly",
    ]
)
_PRONOUNS = frozenset(["he", "she", "they", "it", "its", "their", "his", "her", "them", "him"])
_OURS = frozenset(["we", "i", "us", "our"])
_STOP_AFTER_ACCORDING = frozenset(
    [
        "it",
        "they",
        "he",
        "she",
        "we",
        "there",
        "this",
        "these",
        "those",
        "that",
        "which",
        "who",
        "whom",
        "where",
        "when",
    ]
)


@dataclass(frozen=True, slots=True)
class Attribution:
    """Part of a sentence (scope_start to scope_end) that the cable gives as someone's
    words; `who` as the cable names them (None when it names nobody here: a pronoun, or
    "the claim that" with no possessor), beginning at who_start."""

    who: str | None
    who_start: int
    scope_start: int
    scope_end: int
    cue_end: int  # where the attributed words begin: after "according to X", "X said"

    def covers(self, start: int, end: int) -> bool:
        return self.scope_start <= start and end <= self.scope_end


def attributions(sentence: str) -> list[Attribution]:
    """The attributed parts of a sentence, each with whose words they are."""
    found: list[Attribution] = []
    for match in _ACCORDING.finditer(sentence):
        who = _name_after(sentence, match.end())
        cue_end = sentence.find(who, match.end()) + len(who) if who else match.end()
        found.append(_scoped(sentence, who, match.start(), match.start(), cue_end))
    nouns = []
    for match in _NOUN_CUE.finditer(sentence):
        owner = match.group(0).split()[0]
        named = owner if owner.endswith(("’s", "'s")) and owner[:1].isupper() else None
        who = named[:-2] if named else None
        found.append(_scoped(sentence, who, match.start(), match.start(), match.end()))
        nouns.append(match.span())
    for match in _VERBS.finditer(sentence):
        if any(start <= match.start() < end for start, end in nouns):
            continue  # "the claim that": a noun, read above
        # Nobody named ("the troops said", "Claims that ...") still makes the words
        # someone's: the editors say whose, not the drafter.
        who, who_start = _name_before(sentence, match.start()) or ("", match.start())
        lowered = who.lower()
        if lowered in _OURS:
            continue  # "we can say": the cable's own words
        named = who if who and lowered not in _PRONOUNS else None
        found.append(_scoped(sentence, named, who_start, match.start(), match.end()))
    return found


def voice_of(who: str | None, situation: Situation | None) -> tuple[str, str | None]:
    """The voice of words attributed to who, and the side it names: a side's (when who
    names one side of the situation), someone cited, or the editors' when nobody is named."""
    if who is None:
        return "editors", None
    side = situation.side_of(who) if situation is not None else None
    return ("side", side) if side else ("cited", None)


def _scoped(sentence: str, who: str | None, who_start: int, cue: int, cue_end: int) -> Attribution:
    """The attribution over the clause that holds the cue."""
    start, end = 0, len(sentence)
    for match in _CLAUSE_BREAK.finditer(sentence):
        if match.end() <= cue:
            start = match.end()
        elif match.start() >= cue:
            end = match.start()
            break
    return Attribution(who, who_start, start, end, cue_end)


def _name_after(sentence: str, at: int) -> str | None:
    """The name after "according to": up to a comma, a parenthesis or a pronoun."""
    words = []
    for match in _WORD.finditer(sentence, at, at + 120):
        word = match.group(0)
        bare = word.strip("()").rstrip(",;:.")
        if not bare or bare.lower() in _STOP_AFTER_ACCORDING or word.startswith("("):
            break
        words.append(bare)
        if word != bare or len(words) == 8:
            break
    return " ".join(words) or None


def _name_before(sentence: str, at: int) -> tuple[str, int] | None:
    """The name before a verb of saying, and where it starts: "Ukraine's General Staff"
    in "Ukraine's General Staff said"; None where no one is named (a passive, "that said")."""
    words = [(m.group(0), m.start()) for m in _WORD.finditer(sentence, max(0, at - 120), at)]
    words = [(w, s) for w, s in words if s + len(w) <= at]
    while words and words[-1][0].lower() in _AUXILIARIES:
        words.pop()
    name: list[tuple[str, int]] = []
    for word, start in reversed(words):
        bare = word.strip('(“‘"')
        if word.endswith((",", ";", ":", ")", "(")) or bare.lower() in _NOT_A_NAME:
            break
        name.insert(0, (bare, start + len(word) - len(bare)))
        if len(name) == 6 or word != bare:
            break
    if not name:
        return None
    text = " ".join(word for word, _ in name)
    if text.lower() in _PRONOUNS | _OURS:
        return text, name[0][1]
    if not any(word[:1].isupper() for word, _ in name) and not _COMMON_SPEAKERS.search(text):
        return None  # "the troops said" is not a source the cable names
    return text, name[0][1]


# Speakers named without a capital: "most open intel analysts said", "officials claim".
_COMMON_SPEAKERS = re.compile(
    r"\b(?:analysts?|officials?|experts?|observers?|sources?|intelligence|ministry|"
    r"government|military|army|spokes(?:man|woman|person)|commanders?|researchers?|"
    r"journalists?|media|reports?|authorities|leaders?|president|minister)\b",
    re.IGNORECASE,
)
