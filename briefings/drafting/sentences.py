"""Split a preview's text into sentences, each with its place in the text.

pysbd (rule-based, maintained, no model) splits each paragraph. Measured against a plain
regex splitter (the teaser's sentence ends, `briefings/cables/teaser.py`) with
`python -m bench.drafting --sentences`, on the first cable's preview and the 23 items of the
feed fixtures: the two agree on 22 texts. On the seed, the regex cuts the side note
"(... operations. There are also ... Belarus.)" into two halves with one parenthesis each
(pysbd keeps it whole: 25 sentences against 26); on a real Substack post it runs
"missed you!💙 Welcome to ..." into one sentence, which pysbd splits (57 against 55). pysbd
also keeps the parenthesis "(Developers: ... Designers: ...)" whole where the regex cuts it.

pysbd takes time quadratic in the length of one paragraph (64 KB in one paragraph: 2.6 s),
so a paragraph is first cut into pieces of at most MAX_PIECE characters at a plain sentence
end (or a space): the whole text is then split in time linear in its length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pysbd  # type: ignore[import-untyped]  # pysbd ships no type information

MAX_PIECE = 2000
# A plain sentence end followed by a capital: where a long paragraph may be cut in pieces.
_PLAIN_END = re.compile(r"[.!?…][\"'”’)]{0,3}\s+(?=[\"“‘(]{0,2}[A-Z])")


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of the text: where it starts, its words, and its paragraph's number."""

    start: int
    text: str
    paragraph: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def split_sentences(text: str) -> list[Sentence]:
    """Every sentence of the text, in order; a line is a paragraph."""
    sentences: list[Sentence] = []
    offset = 0
    for number, line in enumerate(text.split("\n")):
        for piece_start, piece in _pieces(line):
            cursor = 0
            for segment in _segmenter().segment(piece):
                words = segment.strip()
                if not words:
                    continue
                found = piece.find(words, cursor)
                if found < 0:  # pysbd changed the text (it should not, with clean=False)
                    continue
                sentences.append(Sentence(offset + piece_start + found, words, number))
                cursor = found + len(words)
        offset += len(line) + 1
    return sentences


def _pieces(line: str) -> list[tuple[int, str]]:
    """The line in pieces of at most MAX_PIECE characters, cut at sentence ends or spaces."""
    pieces = []
    start = 0
    while len(line) - start > MAX_PIECE:
        window = line[start : start + MAX_PIECE]
        ends = [match.end() for match in _PLAIN_END.finditer(window)]
        cut = ends[-1] if ends else window.rfind(" ") + 1 or MAX_PIECE
        pieces.append((start, line[start : start + cut]))
        start += cut
    if line[start:].strip():
        pieces.append((start, line[start:]))
    return pieces
