"""Text compared as a reader reads it: a subtitle that says again what the teaser opens with.

A reader does not tell straight from curly quotes, a hyphen from a dash, a list's "• " from
plain text, one space from two, or a summary trimmed with "…" or "Read More Here →" from the
words it trims. Folded, those are one text; a subtitle found in the teaser (anywhere in it,
not only as its opening), or the teaser in the subtitle, is the same words twice.
"""

from __future__ import annotations

import re
import unicodedata

from briefings.rendering.telegram_html import visible_text

# What ends a trimmed summary rather than saying anything: "… Read More Here →".
_TRIM_END = re.compile(
    r"(?:\W*(?:read more(?: here)?|continue reading|keep reading)\W*|[\s.…→›»>-]+)$",
    re.IGNORECASE,
)
_NOT_WORDS = re.compile(r"[\W_]+")
# A subtitle this short found inside the teaser may be chance ("Part 2"): only as its opening.
MIN_CONTAINED = 25
# The first characters of two texts that are the same mark the same opening.
SAME_OPENING = 200


def folded(text: str) -> str:
    """text as compared: case, quotes, dashes, bullets, spaces, ellipses and other marks left
    out, words apart by one space."""
    text = unicodedata.normalize("NFKC", text).casefold()
    # Only its last characters can be a trim: the search stays short however long the text.
    text = text[:-100] + _TRIM_END.sub("", text[-100:])
    return _NOT_WORDS.sub(" ", text).strip()


def repeats(subtitle: str, teaser_html: str) -> bool:
    """Whether a reader would read the subtitle as the teaser's words again."""
    line, teaser = folded(subtitle), folded(visible_text(teaser_html))
    if not line or not teaser:
        return False
    if teaser.startswith(line) or line.startswith(teaser):
        return True
    if len(line) >= MIN_CONTAINED and line in teaser:
        return True
    if len(teaser) >= MIN_CONTAINED and teaser in line:
        return True
    shorter = min(len(line), len(teaser), SAME_OPENING)
    return line[:shorter] == teaser[:shorter]
