"""Turn a cable's preview HTML (Substack's feed) into a short teaser in Telegram's HTML.

Only text and simple marks get through: no raw <p>, <br>, images, embeds, scripts or
Substack's widgets. The paywall's "Read more" link and the web page's "Keep reading with a
7-day free trial" box are not part of the teaser. The cut falls at a paragraph or sentence end.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser

TEASER_BUDGET = 700  # visible characters of preview text in a push

# Elements whose text stands apart from the next's (words never glue across them).
_BLOCKS = {
    "p", "div", "li", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "tr",
    "dl", "dt", "dd", "section", "article", "header", "footer", "aside", "main",
}  # fmt: skip
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
_VOID = {"br", "hr", "img", "input", "source", "meta", "link", "wbr", "area", "col", "embed"}
_PAYWALL_BOX = re.compile(r"keep reading with a \d+-day free trial", re.I)
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)]*(?=\s|$)|[。！？][」』”）]*")
# A period that ends an abbreviation or an initial, not a sentence: "vs.", "U.S.", "Dr.",
# "D.C.", "F.B.I.", "J. Smith".
_ABBREVIATION = re.compile(
    r"(?:\b[A-Z]\.|\b(?:[A-Za-z]\.){2,}|\b(?:vs|Dr|Mr|Mrs|Ms|Mt|St|Jr|Sr|Prof|Gen|Sen|Rep"
    r"|Gov|Col|Lt|Sgt|Capt|Adm|Inc|Ltd|Co|Corp|No|approx|etc|al|Jan|Feb|Mar|Apr|Jun|Jul|Aug"
    r"|Sep|Sept|Oct|Nov|Dec)\.)$"
)


@dataclass
class Run:
    """A stretch of text with the same marks and link."""

    text: str
    marks: tuple[str, ...] = ()
    href: str | None = None


@dataclass
class Block:
    """A paragraph-like element: its runs, and whether it is a heading or list item."""

    kind: str
    runs: list[Run] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)


@dataclass(frozen=True, slots=True)
class Teaser:
    html: str
    paid: bool
    cut: bool


class _Reader(HTMLParser):
    """Collects blocks of marked-up text, skipping what a teaser must not carry."""

    def __init__(self, *, at_last: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self._dropped_tags = _DROPPED_AT_LAST if at_last else _DROPPED
        self._dropped_classes = _DROPPED_CLASSES_AT_LAST if at_last else _DROPPED_CLASSES
        self.blocks: list[Block] = []
        self._stack: list[tuple[str, bool]] = []  # (tag, dropped)
        # Kept beside the stack so that each tag costs the same however deep the nesting
        # (scanning the stack for every tag took 15 s on 390 KB of nested spans).
        self._open: Counter[str] = Counter()
        self._dropped = 0  # entries of the stack that are dropped
        self._marks: list[str] = []
        self._hrefs: list[str | None] = []
        self._current: Block | None = None

    def _dropping(self) -> bool:
        return self._dropped > 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = attributes.get("class") or ""
        dropped = tag in self._dropped_tags or any(n in classes for n in self._dropped_classes)
        if tag in _VOID:
            if tag in ("br", "hr") and not self._dropping():
                self._close_block()
            return
        self._stack.append((tag, dropped))
        self._open[tag] += 1
        self._dropped += dropped
        if self._dropping():
            return
        if tag in _BLOCKS or tag in ("ul", "ol"):
            self._close_block()
            if tag in _BLOCKS:
                kind = "h" if tag in _HEADINGS else "li" if tag == "li" else "p"
                self._current = Block(kind)
        elif tag in _MARKS:
            self._marks.append(_MARKS[tag])
        elif tag in _CELLS and self._current is not None:
            self._current.runs.append(Run(" "))
        elif tag == "a":
            href = attributes.get("href") or ""
            self._hrefs.append(href if re.match(r"https?://", href) else None)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or self._open[tag] == 0:
            return
        while self._stack:
            open_tag, dropped = self._stack.pop()
            self._open[open_tag] -= 1
            self._dropped -= dropped
            if not self._dropping():
                self._end(open_tag)
            if open_tag == tag:
                break

    def _end(self, tag: str) -> None:
        if tag in _BLOCKS or tag in ("ul", "ol"):
            self._close_block()
        elif tag in _MARKS and self._marks:
            self._marks.pop()
        elif tag == "a" and self._hrefs:
            self._hrefs.pop()

    def handle_data(self, data: str) -> None:
        if self._dropping():
            return
        text = re.sub(r"\s+", " ", data)
        raised = next((tag for tag in ("sup", "sub") if self._open[tag]), None)
        if raised is not None:
            shown = text.translate(_RAISED[raised])
            # Only where every character has a raised form: "1st" stays as it is.
            if not any(a == b and not a.isspace() for a, b in zip(text, shown, strict=True)):
                text = shown
        if not text.strip() and self._current is None:
            return
        if self._current is None:
            self._current = Block("p")
        href = next((h for h in reversed(self._hrefs) if h), None) if self._hrefs else None
        self._current.runs.append(Run(text, tuple(dict.fromkeys(self._marks)), href))

    def _close_block(self) -> None:
        if self._current is not None and self._current.text.strip():
            _trim(self._current)
            self.blocks.append(self._current)
        self._current = None

    def close(self) -> None:
        super().close()
        self._close_block()


def read_blocks(preview_html: str, *, at_last: bool = False) -> list[Block]:
    """The text blocks of some HTML; at_last keeps figures, tables and embeds' text too."""
    reader = _Reader(at_last=at_last)
    reader.feed(preview_html)
    reader.close()
    return reader.blocks


def make_teaser(preview_html: str, item_link: str | None, budget: int = TEASER_BUDGET) -> Teaser:
    """The opening of a cable's free preview as Telegram HTML, cut at a sentence end."""
    blocks, paid = preview_blocks(preview_html, item_link)
    kept, cut = _cut(blocks, budget)
    while cut and kept and kept[-1].kind == "h":
        kept.pop()  # a heading whose text did not fit says nothing on its own
    return Teaser(html="\n\n".join(_render(block) for block in kept), paid=paid, cut=cut)


def preview_blocks(preview_html: str, item_link: str | None) -> tuple[list[Block], bool]:
    """The free preview's blocks of text, up to the paywall, and whether the post is paid."""
    blocks = read_blocks(preview_html) or read_blocks(preview_html, at_last=True)
    # The box may sit in an element we drop anyway (class "paywall"); it still marks paid.
    paid = bool(_PAYWALL_BOX.search(html.unescape(re.sub(r"<[^>]*>", " ", preview_html))))
    # The web page's paywall box: it and all after it are not the cable's text.
    for index, block in enumerate(blocks):
        if is_paywall_box(block.text):
            blocks = blocks[:index]
            break
    # Substack's feed ends a paid preview with a "Read more" link to the post itself.
    if blocks and item_link and _is_read_more(blocks[-1], item_link):
        blocks, paid = blocks[:-1], True
    return blocks, paid


def is_paywall_box(text: str) -> bool:
    """Whether text is the web page's paywall box ("Keep reading with a 7-day free trial")."""
    return bool(_PAYWALL_BOX.search(text))


def _is_read_more(block: Block, item_link: str) -> bool:
    links = {run.href for run in block.runs if run.href}
    return (
        bool(re.fullmatch(r"\s*read more\s*[.…]*\s*", block.text, re.I))
        and len(links) == 1
        and _same_url(links.pop(), item_link)
    )


def _same_url(a: str, b: str) -> bool:
    def norm(url: str) -> str:
        return url.split("#")[0].split("?")[0].rstrip("/").lower()

    return norm(a) == norm(b)


def _cut(blocks: list[Block], budget: int) -> tuple[list[Block], bool]:
    kept: list[Block] = []
    used = 0
    for block in blocks:
        length = len(block.text)
        if used + length <= budget:
            kept.append(block)
            used += length + 2
            continue
        if block.kind == "h":
            continue  # a heading too long to fit says nothing cut short: read on past it
        if not kept or used < budget // 2:
            partial = _cut_block(block, budget - used)
            if partial is not None:
                kept.append(partial)
        return kept, True
    return kept, False


def _cut_block(block: Block, room: int) -> Block | None:
    """The block up to its last sentence end within room, or up to a word with an ellipsis."""
    text = block.text
    ends = [
        m.end()
        for m in _SENTENCE_END.finditer(text)
        if m.end() <= room and not _ABBREVIATION.search(text[: m.start() + 1])
    ]
    if ends:
        return _prefix(block, ends[-1], "")
    space = text.rfind(" ", 0, max(room - 1, 0))
    if space > 0:
        return _prefix(block, space, "…")
    # Text without spaces (Chinese, Japanese) and no sentence end in reach: cut it short.
    return _prefix(block, room - 1, "…") if room > 1 else None


def _prefix(block: Block, length: int, tail: str) -> Block:
    runs: list[Run] = []
    left = length
    for run in block.runs:
        if left <= 0:
            break
        runs.append(Run(run.text[:left], run.marks, run.href))
        left -= len(run.text)
    result = Block(block.kind, runs)
    _trim(result)
    if tail and result.runs:
        result.runs[-1].text += tail
    return result


def _trim(block: Block) -> None:
    while block.runs and not block.runs[0].text.strip():
        block.runs.pop(0)
    while block.runs and not block.runs[-1].text.strip():
        block.runs.pop()
    if block.runs:
        block.runs[0].text = block.runs[0].text.lstrip()
        block.runs[-1].text = block.runs[-1].text.rstrip()


def _render(block: Block) -> str:
    body = "".join(_render_run(run) for run in block.runs)
    if block.kind == "h":
        return f"<b>{body}</b>" if "<b>" not in body else body
    if block.kind == "li":
        return f"• {body}"
    return body


def _render_run(run: Run) -> str:
    text = html.escape(run.text, quote=False)
    for mark in reversed(run.marks):
        text = f"<{mark}>{text}</{mark}>"
    if run.href:
        text = f'<a href="{html.escape(run.href, quote=True)}">{text}</a>'
    return text
