"""Cutting a title (or any one-line text) to a length, at a word, with an ellipsis."""

from __future__ import annotations

# A cut at a space is taken only if it keeps at least this share of the room: a title of one
# long word (a URL, a hash) is cut inside it rather than to almost nothing.
_WORD_CUT_SHARE = 0.5


def shorten(text: str, limit: int) -> str:
    """text if it has at most limit characters; else as much of it as fits in limit - 1, cut
    at a word where one ends late enough, and "…" (limit characters in all)."""
    if len(text) <= limit:
        return text
    room = max(limit - 1, 0)
    head = text[:room]
    if not text[room].isspace():  # the cut falls inside a word: end at the one before
        at_word = head.rpartition(" ")[0]
        if len(at_word) >= room * _WORD_CUT_SHARE:
            head = at_word
    return head.rstrip(" ,;:-–—") + "…"
