"""Where a paragraph's sentences end, as a reader would cut it: not after an abbreviation or
an initial ("U.S.", "Dr.", "gov."), not before a word in lower case (the period was not a
sentence's end), and not inside a quotation ("He said “We will fight. We will win.”" ends
once, after the closing quote). Linear in the text read.
"""

from __future__ import annotations

import re

_END = re.compile(r"[.!?…][\"'”’»)\]]*(?=\s|$)|[。！？][」』”）]*")
# An initial or a dotted abbreviation ("J.", "U.S.", "D.C."), case as written.
_INITIAL = re.compile(r"(?:\b[A-Z]|\b(?:[A-Za-z]\.)+[A-Za-z])\.\Z")
# Words written with a period that ends no sentence, in any case ("Gov.", "gov.").
_ABBREVIATED = re.compile(
    r"\b(?:vs|dr|mr|mrs|ms|mt|st|jr|sr|prof|gen|sen|rep|gov|govt|col|lt|sgt|capt|adm|inc"
    r"|ltd|co|corp|dept|est|fig|approx|etc|al|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov"
    r"|dec|e\.g|i\.e|cf|ca)\.\Z",
    re.IGNORECASE,
)
_NEXT = re.compile(r"\s*(\S)")
_OPENING, _CLOSING = "“«", "”»"


def sentence_ends(text: str, limit: int) -> list[int]:
    """Offsets just past each sentence end in text, up to limit."""
    ends: list[int] = []
    last_closing = max(text.rfind(q) for q in _CLOSING)
    last_straight = text.rfind('"')
    depth = straight = 0
    read = 0
    for match in _END.finditer(text, 0, min(len(text), limit + 1)):
        end = match.end()
        if end > limit:
            break
        seen = text[read:end]
        read = end
        depth = max(0, depth + sum(seen.count(q) for q in _OPENING)
                    - sum(seen.count(q) for q in _CLOSING))  # fmt: skip
        straight += seen.count('"')
        if (depth and end <= last_closing) or (straight % 2 and end <= last_straight):
            continue  # inside a quotation that closes further on
        if text[match.start()] == "." and _abbreviated(text, match.start()):
            continue
        following = _NEXT.match(text, end)
        if following is not None and following.group(1).islower():
            continue  # "gov. officials": the sentence goes on
        ends.append(end)
    return ends


def _abbreviated(text: str, period: int) -> bool:
    start = max(0, period - 20)
    before = text[start : period + 1]
    if start and text[start - 1].isalnum():
        before = "x" + before  # the window began inside a word: no word starts there
    return bool(_INITIAL.search(before) or _ABBREVIATED.search(before))
