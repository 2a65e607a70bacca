"""Turn a cable's preview HTML (Substack's feed) into a short teaser in Telegram's HTML.

The preview is read as its page shows it (`blocks.py`): only text and simple marks get
through, no images, captions, embeds or Substack's widgets. The paywall's "Read more" link
and the web page's "Keep reading with a 7-day free trial" box are not part of the teaser.
The cut falls at a paragraph or sentence end (`sentences.py`), never after a heading, and the
teaser carries few enough formatting entities for the push to stay within Telegram's 100.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from briefings.cables.blocks import Block, Run, read, read_blocks, trim
from briefings.cables.sentences import sentence_ends
from briefings.rendering.telegram_html import entity_count

__all__ = ["Block", "Teaser", "is_paywall_box", "make_teaser", "preview_blocks", "read_blocks"]

TEASER_BUDGET = 700  # visible characters of preview text in a push
# Formatting entities a teaser may carry: Telegram takes 100 a message, and the push's own
# title, subtitle and notes take a few.
MAX_TEASER_ENTITIES = 50
_PAYWALL_BOX = re.compile(r"keep reading with a \d+-day free trial", re.I)
# Substack's feed ends a paid preview with it; other feeds trim a summary with it.
_READ_MORE = re.compile(
    r"\s*(?:read more(?: here)?|continue reading|keep reading)\s*[.…→›»>]*\s*", re.I
)


@dataclass(frozen=True, slots=True)
class Teaser:
    html: str
    paid: bool
    cut: bool


def make_teaser(preview_html: str, item_link: str | None, budget: int = TEASER_BUDGET) -> Teaser:
    """The opening of a cable's free preview as Telegram HTML, cut at a sentence end."""
    blocks, paid = preview_blocks(preview_html, item_link)
    kept, cut = _cut(blocks, budget)
    shown = _render(kept, marks=True, links=MAX_TEASER_ENTITIES)
    if entity_count(shown) > MAX_TEASER_ENTITIES:
        # Hostile or broken markup (links never closed, bold and italics misnested): the
        # text matters more than its marks.
        shown = _render(kept, marks=False, links=MAX_TEASER_ENTITIES)
    return Teaser(html=shown, paid=paid, cut=cut)


def preview_blocks(preview_html: str, item_link: str | None) -> tuple[list[Block], bool]:
    """The free preview's blocks of text, up to the paywall, and whether the post is paid."""
    reading = read(preview_html, base=item_link)
    blocks = reading.blocks or read(preview_html, at_last=True, base=item_link).blocks
    # The box may sit in an element we drop anyway (class "paywall"); it still marks paid.
    paid = is_paywall_box(reading.every_text)
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
        bool(_READ_MORE.fullmatch(block.text))
        and len(links) == 1
        and _same_url(links.pop(), item_link)
    )


def _same_url(a: str, b: str) -> bool:
    def norm(url: str) -> str:
        return url.split("#")[0].split("?")[0].rstrip("/").lower()

    return norm(a) == norm(b)


def _cut(blocks: list[Block], budget: int) -> tuple[list[Block], bool]:
    """The blocks that fit in budget, the last one cut at a sentence where it must be; never
    ending on a heading (a subhead says nothing without its text)."""
    kept: list[Block] = []
    used = 0
    cut = False
    for block in blocks:
        length = len(block.text)
        if used + length <= budget:
            kept.append(block)
            used += length + 2
            continue
        cut = True
        if block.kind == "h":
            continue  # a heading too long to fit says nothing cut short: read on past it
        prose = any(b.kind != "h" for b in kept)
        if not prose or used < budget // 2:
            kept = _with_part_of(kept, block, budget - used, budget, prose=prose)
        break
    while kept and kept[-1].kind == "h" and any(b.kind != "h" for b in kept):
        kept.pop()
    return kept, cut


def _with_part_of(
    kept: list[Block], block: Block, room: int, budget: int, *, prose: bool
) -> list[Block]:
    """kept and as much of block as fits in room, cut at a sentence. Where only headings are
    kept and they leave no room for a sentence, the paragraph goes without them: a long
    first heading must not leave the teaser empty."""
    part = _cut_block(block, room)
    if not prose and kept and (part is None or not part[1]):
        alone = _cut_block(block, budget)
        if alone is not None and (alone[1] or part is None):
            return [alone[0]]
    return [*kept, part[0]] if part is not None else kept


def _cut_block(block: Block, room: int) -> tuple[Block, bool] | None:
    """The block up to its last sentence end within room (True), or up to a word with an
    ellipsis (False); None where nothing fits."""
    text = block.text
    ends = sentence_ends(text, room)
    if ends:
        return _prefix(block, ends[-1], ""), True
    space = text.rfind(" ", 0, max(room - 1, 0))
    if space > 0:
        return _prefix(block, space, "…"), False
    # Text without spaces (Chinese, Japanese) and no sentence end in reach: cut it short.
    return (_prefix(block, room - 1, "…"), False) if room > 1 else None


def _prefix(block: Block, length: int, tail: str) -> Block:
    runs: list[Run] = []
    left = length
    for run in block.runs:
        if left <= 0:
            break
        runs.append(Run(run.text[:left], run.marks, run.href))
        left -= len(run.text)
    result = Block(block.kind, runs)
    trim(result)
    if tail and result.runs:
        result.runs[-1].text += tail
    return result


def _render(blocks: list[Block], *, marks: bool, links: int) -> str:
    """Telegram HTML for blocks: one tag per stretch of the same mark or link (a mark is
    opened once however many runs share it), at most `links` links."""
    budget = [links]
    return "\n\n".join(_render_block(block, marks, budget) for block in blocks)


def _render_block(block: Block, marks: bool, links_left: list[int]) -> str:
    runs = block.runs
    if block.kind == "h" and marks:  # a heading in bold: one <b> over all of it
        runs = [Run(r.text, ("b", *(m for m in r.marks if m != "b")), r.href) for r in runs]
    parts: list[str] = []
    start = 0
    while start < len(runs):
        href = runs[start].href
        end = start
        while end < len(runs) and runs[end].href == href:
            end += 1
        body = _render_marks(runs[start:end], marks)
        if href and links_left[0] > 0:
            links_left[0] -= 1
            body = f'<a href="{html.escape(href, quote=True)}">{body}</a>'
        parts.append(body)
        start = end
    body = "".join(parts)
    return f"• {body}" if block.kind == "li" else body


def _render_marks(runs: list[Run], marks: bool) -> str:
    out: list[str] = []
    stack: list[str] = []
    for run in runs:
        wanted = list(run.marks) if marks and run.text.strip() else stack
        same = 0
        while same < min(len(stack), len(wanted)) and stack[same] == wanted[same]:
            same += 1
        out.extend(f"</{mark}>" for mark in reversed(stack[same:]))
        out.extend(f"<{mark}>" for mark in wanted[same:])
        stack = list(wanted)
        out.append(html.escape(run.text, quote=False))
    out.extend(f"</{mark}>" for mark in reversed(stack))
    return "".join(out)
