"""A count with its noun, singular for one: "1 day", "3 days". The templates' `counted` filter
(briefings/rendering/renderer.py), so no reply says "1 claims" or "1 subscribers"."""

from __future__ import annotations


def counted(number: int, one: str, many: str | None = None) -> str:
    """number and the noun that goes with it: one for 1, many (one + "s" by default) else,
    with thousands separated ("1,200 subscribers")."""
    noun = one if number == 1 else many if many is not None else f"{one}s"
    return f"{number:,} {noun}"
