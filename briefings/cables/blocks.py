"""A post's HTML read as its page shows it: paragraphs, subheads and list items of marked-up
text, without what a reader never sees there or skips as page furniture.

Left out: images, figures with their captions, image credits ("Image by …"), embeds and
their fallback text ("Your browser does not support iframes."), scripts, forms, footnotes
and Substack's widgets. Substack writes a subhead as a paragraph in bold
(`<p><strong>…</strong></p>`): it is read as a heading. It writes a list item as
`<li><p>…</p></li>`: the paragraph is the item. The markup is read by `markup.tokens`, in
one pass, so the time is linear in the post whatever it holds.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urljoin

from briefings.cables.markup import tokens

# Elements whose text stands apart from the next's (words never glue across them).
_BLOCKS = {
    "p", "div", "li", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "tr",
    "dl", "dt", "dd", "section", "article", "header", "footer", "aside", "main",
}  # fmt: skip
_LISTS = {"ul", "ol"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# Elements whose whole content is dropped: media, embeds, forms and page furniture.
_DROPPED = {
    "script", "style", "noscript", "template", "figure", "figcaption", "picture", "img",
    "svg", "iframe", "video", "audio", "object", "embed", "form", "button", "input",
    "select", "textarea", "source", "table", "head", "title",
}  # fmt: skip
_DROPPED_CLASSES = (
    "subscription-widget", "button-wrapper", "footnote", "captioned-image", "image-link",
    "embed", "poll", "paywall", "subscribe", "share", "digest-post", "tweet", "youtube",
    "caption",
)  # fmt: skip
# A post with no prose outside figures, tables and embeds (a chart with its caption, a table
# laid out by WordPress, an embedded post's quoted text) is read again keeping those: only
# code, forms, page furniture and the "your browser does not support" text of players stay out.
_DROPPED_AT_LAST = {
    "script", "style", "noscript", "template", "svg", "iframe", "video", "audio", "object",
    "embed", "form", "button", "input", "select", "textarea", "head", "title",
}  # fmt: skip
_DROPPED_CLASSES_AT_LAST = (
    "subscription-widget", "button-wrapper", "footnote", "paywall", "subscribe", "share",
)  # fmt: skip
# Table cells: a space between them, so a row's words do not glue.
_CELLS = {"td", "th"}
# Superscript and subscript as Telegram can show them (it has no <sup>): "ft²", "CO₂".
_SUPERSCRIPT = str.maketrans("0123456789+-=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ")
_SUBSCRIPT = str.maketrans("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎")
_RAISED = {"sup": _SUPERSCRIPT, "sub": _SUBSCRIPT}
_MARKS = {"b": "b", "strong": "b", "i": "i", "em": "i", "u": "u", "s": "s", "strike": "s",
          "del": "s", "code": "code"}  # fmt: skip
_MARK_ORDER = ("b", "i", "u", "s", "code")
_VOID = {"br", "hr", "img", "input", "source", "meta", "link", "wbr", "area", "col", "embed"}
_SPACES = re.compile(r"\s+")
# What a player or frame shows where it cannot play: left as text by a feed's sanitiser.
_FALLBACK = re.compile(
    r"your browser does not support (?:the )?(?:iframes?|frames|video|audio|html5|embedded"
    r"|this|the \w+ (?:tag|element))[^.!<]{0,40}[.!]?",
    re.IGNORECASE,
)
# An image's credit, as a line of its own: "Image by …", "Photo: …", "Credit: …", "© …".
_CREDIT = re.compile(
    r"(?:(?:cover |header |featured |top )?(?:image|photo|photograph|picture|illustration"
    r"|graphic|artwork|map|chart|video|source|credits?)s?(?: credits?)?\s*(?:by|via|from|:"
    r"|courtesy)|©|\(c\) )",
    re.IGNORECASE,
)
MAX_CREDIT = 200  # a longer paragraph is prose, whatever its first words
MAX_SUBHEAD = 150  # a paragraph all in bold and no longer is Substack's subhead


@dataclass
class Run:
    """A stretch of text with the same marks and link."""

    text: str
    marks: tuple[str, ...] = ()
    href: str | None = None


@dataclass
class Block:
    """A paragraph-like element: its runs, and whether it is a heading ("h"), a list item
    ("li") or a paragraph ("p")."""

    kind: str
    runs: list[Run] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)


class _Reader:
    """Collects blocks of marked-up text, skipping what a teaser must not carry."""

    def __init__(self, *, at_last: bool = False, base: str | None = None) -> None:
        self._dropped_tags = _DROPPED_AT_LAST if at_last else _DROPPED
        self._dropped_classes = _DROPPED_CLASSES_AT_LAST if at_last else _DROPPED_CLASSES
        self._base = base
        self.blocks: list[Block] = []
        self.every_text: list[str] = []  # dropped text too: the paywall's box may hide there
        self._stack: list[tuple[str, bool]] = []  # (tag, dropped)
        # Counts beside the stack, so that each tag costs the same however deep the nesting
        # (scanning the stack for every tag took 15 s on 390 KB of nested spans).
        self._open: Counter[str] = Counter()
        self._dropped = 0  # entries of the stack that are dropped
        self._marks: Counter[str] = Counter()
        self._href: str | None = None  # links never nest: a new <a> ends the one open
        self._current: Block | None = None
        self._item_waiting = False  # a list item whose first paragraph is still to come

    def read(self, markup: str) -> list[Block]:
        for token in tokens(markup):
            if isinstance(token, str):
                self._text(token)
            elif token.closing:
                self._end_tag(token.name)
            else:
                self._start_tag(token.name, token.attrs)
        self._close_block()
        return self.blocks

    def _start_tag(self, tag: str, attributes: dict[str, str]) -> None:
        classes = attributes.get("class") or ""
        dropped = tag in self._dropped_tags or any(n in classes for n in self._dropped_classes)
        if tag in _VOID:
            if tag in ("br", "hr") and not self._dropped:
                self._close_block()
            return
        if tag == "a" and self._open["a"]:
            self._end_tag("a")
        self._stack.append((tag, dropped))
        self._open[tag] += 1
        self._dropped += dropped
        if self._dropped:
            return
        if tag in _BLOCKS or tag in _LISTS:
            self._close_block()
            if tag == "li":
                self._item_waiting = True
            if tag in _BLOCKS:
                kind = "h" if tag in _HEADINGS else "li" if self._item_waiting else "p"
                self._current = Block(kind)
        elif tag in _MARKS:
            self._marks[_MARKS[tag]] += 1
        elif tag in _CELLS and self._current is not None:
            self._current.runs.append(Run(" "))
        elif tag == "a":
            href = attributes.get("href") or ""
            if self._base and not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", href) and href:
                href = urljoin(self._base, href)  # a relative link, as the page resolves it
            self._href = href if re.match(r"https?://", href) else None

    def _end_tag(self, tag: str) -> None:
        if tag in _VOID or self._open[tag] == 0:
            return
        while self._stack:
            open_tag, dropped = self._stack.pop()
            self._open[open_tag] -= 1
            self._dropped -= dropped
            if not self._dropped:
                self._end(open_tag)
            if open_tag == tag:
                break

    def _end(self, tag: str) -> None:
        if tag in _BLOCKS or tag in _LISTS:
            self._close_block()
            if tag in ("li", *_LISTS):
                self._item_waiting = False
        elif tag in _MARKS and self._marks[_MARKS[tag]]:
            self._marks[_MARKS[tag]] -= 1
        elif tag == "a":
            self._href = None

    def _text(self, data: str) -> None:
        self.every_text.append(data)
        if self._dropped:
            return
        text = _FALLBACK.sub("", _SPACES.sub(" ", data))
        raised = next((tag for tag in ("sup", "sub") if self._open[tag]), None)
        if raised is not None:
            shown = text.translate(_RAISED[raised])
            # Only where every character has a raised form: "1st" stays as it is.
            if not any(a == b and not a.isspace() for a, b in zip(text, shown, strict=True)):
                text = shown
        if not text.strip() and self._current is None:
            return
        if self._current is None:
            self._current = Block("li" if self._item_waiting else "p")
        marks = tuple(mark for mark in _MARK_ORDER if self._marks[mark])
        self._current.runs.append(Run(text, marks, self._href))

    def _close_block(self) -> None:
        block, self._current = self._current, None
        if block is None or not block.text.strip():
            return
        trim(block)
        text = block.text
        if len(text) <= MAX_CREDIT and _CREDIT.match(text):
            return  # an image's credit: the page shows it under the image, not as prose
        if block.kind == "p" and _is_subhead(block):
            block.kind = "h"
        self.blocks.append(block)
        if block.kind == "li":
            self._item_waiting = False  # the item's later paragraphs are its own


def _is_subhead(block: Block) -> bool:
    """Substack's subhead: a short paragraph all in bold, not ending as a sentence does."""
    text = block.text
    return (
        len(text) <= MAX_SUBHEAD
        and not text.endswith((".", "…"))
        and all("b" in run.marks for run in block.runs if run.text.strip())
    )


@dataclass(frozen=True, slots=True)
class Reading:
    """What a post's HTML shows: its blocks, and all its text (hidden parts too)."""

    blocks: list[Block]
    every_text: str


def read(markup: str, *, at_last: bool = False, base: str | None = None) -> Reading:
    """Read markup as its page shows it; at_last keeps figures, tables and embeds' text too.
    Relative links are resolved against base."""
    reader = _Reader(at_last=at_last, base=base)
    blocks = reader.read(markup)
    return Reading(blocks, _SPACES.sub(" ", "".join(reader.every_text)))


def read_blocks(markup: str, *, at_last: bool = False) -> list[Block]:
    """The text blocks of some HTML; at_last keeps figures, tables and embeds' text too."""
    return read(markup, at_last=at_last).blocks


def trim(block: Block) -> None:
    """Take the spaces off a block's ends (and the runs left empty)."""
    while block.runs and not block.runs[0].text.strip():
        block.runs.pop(0)
    while block.runs and not block.runs[-1].text.strip():
        block.runs.pop()
    if block.runs:
        block.runs[0].text = block.runs[0].text.lstrip()
        block.runs[-1].text = block.runs[-1].text.rstrip()
