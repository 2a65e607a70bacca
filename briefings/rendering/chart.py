"""Draw the /forces chart as a PNG: a pure function of the chart's data, no display needed.

Drawn with matplotlib's Figure and Agg canvas directly, never pyplot: no global state, so
several charts may be drawn at once in threads. Laid out in pixels for a phone, where the
1280-pixel-wide image is shown about 400 points wide: no text is under 32 pixels (10 points
there). The image is as tall as what it shows, up to MAX_HEIGHT; past that, the last rows
are left to the text, and it says so.

The style (palette, font, sizes) is shared with the /stats chart: see `font` and the colours.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont
from matplotlib.ft2font import FT2Font
from matplotlib.patches import Rectangle

from briefings.rendering.chart_data import Bar, ForcesChart, Group

WIDTH = 1280
# The seed's chart stands about 1,500 pixels tall, within 5:4, past which a phone's Telegram
# starts to show a photo narrower (its bubble's height is capped). An editor's few figures
# more may take it past that rather than leave figures out; past MAX_HEIGHT, rows give way.
# A chart of a figure or two is a strip, not a square of nothing.
MAX_HEIGHT = 2000
MIN_HEIGHT = 320
DPI = 100
MARGIN = 56
_RIGHT = WIDTH - MARGIN
_SPACE = _RIGHT - MARGIN

# A dark slate that sits well in Telegram's light and dark themes alike; text contrast >= 7:1.
BACKGROUND = "#1b222c"
TRACK = "#28313d"
TEXT = "#f2f4f7"
MUTED = "#b9c3cf"
FIGURE_COLOUR = "#4ea8de"
RANGE_COLOUR = "#a5d4f2"
CLAIM_COLOUR = "#f4a259"
RULE = "#4a5563"

FAMILY = "DejaVu Sans"  # matplotlib ships it, so the chart looks the same on every machine


def font(pixels: float, bold: bool = False) -> FontProperties:
    """The charts' font at a size in pixels of the image (points are pixels * 72 / DPI)."""
    return FontProperties(
        family=FAMILY, size=pixels * 72 / DPI, weight="bold" if bold else "normal"
    )


TITLE = font(42, bold=True)
HEADING = font(32, bold=True)
GROUP = font(32, bold=True)
LABEL = font(36)
VALUE = font(36, bold=True)
DETAIL = font(32)
FOOTER = font(32)

# Vertical layout, in pixels: a line of each kind of text, a bar's line, the gaps.
_TOP = 34
_TITLE_LINE, _HEADING_LINE, _GROUP_LINE, _LINE, _DETAIL_LINE = 50, 46, 44, 44, 40
_BAR_LINE, _BAR = 46, 36  # the line a bar stands on, and the bar's own height
_ROW_GAP = 12  # under each row
_GROUP_GAP = 6  # above a group's heading, after the first
_DIVIDER = 36
_FOOTER_GAP = 18
_BOTTOM = 26
_GAP = 14  # between words on one line


def render_forces_chart(chart: ForcesChart) -> bytes:
    """Draw chart as a PNG WIDTH pixels wide, as tall as it needs, and return its bytes."""
    out = io.BytesIO()
    forces_figure(chart).savefig(out, format="png", dpi=DPI, facecolor=BACKGROUND)
    return out.getvalue()


def forces_figure(chart: ForcesChart) -> Figure:
    """The chart drawn on a Figure of its own (an Agg canvas): one axes in pixels, y down."""
    page = _Page(chart)
    height = page.height
    figure = Figure(figsize=(WIDTH / DPI, height / DPI), dpi=DPI, facecolor=BACKGROUND)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, WIDTH)
    axes.set_ylim(height, 0)  # pixels, y growing downwards like a page
    axes.set_axis_off()
    page.draw(axes)
    return figure


Draw = Callable[["_Pen", float], None]


@dataclass
class _Block:
    """A piece of the page laid out: how tall it stands, and how to draw it at a y."""

    height: float
    draw: Draw


@dataclass
class _Section:
    """The figures or the claims: a heading, groups of rows, and what did not fit."""

    heading: list[_Block]
    groups: list[tuple[_Block, list[_Block]]]  # each group's heading and its rows
    shown: int = field(init=False)

    def __post_init__(self) -> None:
        self.shown = self.rows

    @property
    def rows(self) -> int:
        return sum(len(rows) for _, rows in self.groups)

    def blocks(self, note: Callable[[int], _Block]) -> list[_Block]:
        """The blocks of the rows shown, with the line saying how many were left out."""
        if not self.groups:
            return []
        out = list(self.heading)
        left = self.shown
        for heading, rows in self.groups:
            if left <= 0:
                break
            out += [heading, *rows[:left]]
            left -= len(rows)
        if self.shown < self.rows:
            out.append(note(self.rows - self.shown))
        return out


class _Pen:
    """Draws on the axes, in pixels; measures text with a renderer of the same resolution."""

    def __init__(self, axes: Axes | None = None) -> None:
        self._axes = axes
        self.renderer = RendererAgg(WIDTH, 100, DPI)

    @property
    def axes(self) -> Axes:
        assert self._axes is not None, "laying out: nothing is drawn yet"
        return self._axes

    def text(
        self, x: float, y: float, words: str, font: FontProperties, colour: str = TEXT,
        va: str = "top", ha: str = "left",
    ) -> None:  # fmt: skip
        # parse_math=False: a "$" an editor typed is a dollar sign, not the start of TeX.
        self.axes.text(x, y, drawable(words), fontproperties=font, color=colour, va=va,
                       ha=ha, parse_math=False)  # fmt: skip

    def rect(
        self, x: float, y: float, w: float, h: float, colour: str,
        edge: str | None = None, hatch: str | None = None,
    ) -> None:  # fmt: skip
        patch = Rectangle(
            (x, y), max(w, 0.0), h, facecolor=colour, edgecolor=edge or "none",
            hatch=hatch, linewidth=2 if edge else 0,
        )  # fmt: skip
        self.axes.add_patch(patch)

    def rule(self, y: float, dashed: bool = False, start: float = MARGIN) -> None:
        style = (0, (6, 5)) if dashed else "solid"
        self.axes.plot([start, _RIGHT], [y, y], color=RULE, linewidth=2, linestyle=style)

    def width(self, words: str, font: FontProperties) -> float:
        words = drawable(words)
        if not words:
            return 0.0
        width, _, _ = self.renderer.get_text_width_height_descent(words, font, ismath=False)
        return float(width)

    def fit(self, words: str, font: FontProperties, space: float) -> str:
        """words, cut short with an ellipsis where they would not fit in space pixels."""
        if self.width(words, font) <= space:
            return words
        short, long = 0, len(words)  # the longest start that fits, by bisection
        while short < long:
            middle = (short + long + 1) // 2
            if self.width(words[:middle] + "…", font) <= space:
                short = middle
            else:
                long = middle - 1
        return words[:short].rstrip() + "…"

    def wrap(
        self, words: str, font: FontProperties, space: float, lines: int | None = None,
        first: float | None = None,
    ) -> list[str]:  # fmt: skip
        """words in lines of space pixels (the first of `first`, if given); at most `lines`
        of them, the last cut short if need be, or as many as it takes (nothing cut)."""
        rest = drawable(words).split()
        out: list[str] = []
        while rest and (lines is None or len(out) < lines):
            room = first if first is not None and not out else space
            line = [rest.pop(0)]
            while rest and self.width(" ".join([*line, rest[0]]), font) <= room:
                line.append(rest.pop(0))
            out.append(self.fit(" ".join(line), font, room))  # one word may be too long
        if rest:
            out[-1] = self.fit(" ".join([out[-1], *rest]), font, space)
        return out or [""]


class _Page:
    """The chart laid out top to bottom: title, figures, claims, footer."""

    def __init__(self, chart: ForcesChart) -> None:
        self.chart = chart
        self.pen = _Pen()
        bars = (*chart.figures, *chart.claims)
        # Words after a bar must fit beside the longest one: the bars get what is left, but
        # never less than half the width, whatever an editor writes.
        beside = max((self.pen.width(bar.value.display(), VALUE) for bar in bars
                      if bar.low is not None), default=0.0)  # fmt: skip
        self.bar_room = _SPACE - min(max(beside + _GAP + 10, 240), _SPACE / 2)
        self.top = self.title()
        self.figures = self.section(
            chart.figure_groups, "FIGURES ON RECORD · EVERY BAR TO ONE SCALE", MUTED,
            empty="No troop figures are on record.",
        )  # fmt: skip
        self.claims = self.section(
            chart.claim_groups, "CLAIMS: A SIDE'S WORD, NOT AN ASSESSED FIGURE", CLAIM_COLOUR
        )
        self.bottom = self.footer()
        # Past MAX_HEIGHT the last rows give way (claims keep up to half of the room); the
        # footer and headings always stand.
        while self.content_height > MAX_HEIGHT and self.figures.shown + self.claims.shown:
            room = MAX_HEIGHT - self.content_height + self.rows_height
            claims = self.claims
            if claims.shown and (not self.figures.shown or self.claims_height > room / 2):
                claims.shown -= 1
            else:
                self.figures.shown -= 1
            self.bottom = self.footer()  # its key names only what is still drawn

    # ------------------------------------------------------------------ the whole page
    @property
    def blocks(self) -> list[_Block]:
        figures = self.figures.blocks(self.left_out)
        claims = self.claims.blocks(self.left_out)
        divider = [_Block(_DIVIDER, lambda pen, y: pen.rule(y + _DIVIDER / 2 - 6, dashed=True))]
        return [*self.top, *figures, *(divider + claims if claims else []), *self.bottom]

    @property
    def content_height(self) -> float:
        return _TOP + sum(block.height for block in self.blocks) + _BOTTOM

    @property
    def rows_height(self) -> float:
        return sum(b.height for b in (*self.figures.blocks(self.left_out),
                                      *self.claims.blocks(self.left_out)))  # fmt: skip

    @property
    def claims_height(self) -> float:
        return sum(block.height for block in self.claims.blocks(self.left_out))

    @property
    def height(self) -> int:
        return int(min(max(self.content_height, MIN_HEIGHT), MAX_HEIGHT))

    def draw(self, axes: Axes) -> None:
        pen = _Pen(axes)
        y: float = _TOP
        for block in self.blocks:
            block.draw(pen, y)
            y += block.height

    # ------------------------------------------------------------------ pieces
    def title(self) -> list[_Block]:
        lines = self.pen.wrap(self.chart.title, TITLE, _SPACE, lines=2)
        return [self.line(line, TITLE, TEXT, _TITLE_LINE) for line in lines]

    def section(
        self, groups: tuple[Group, ...], heading: str, colour: str, empty: str | None = None
    ) -> _Section:
        if not groups:
            rows = [self.line(empty, DETAIL, MUTED, _LINE)] if empty else []
            return _Section([self.line(heading, HEADING, colour, _HEADING_LINE)],
                            [(_Block(0, _nothing), rows)] if rows else [])  # fmt: skip
        laid = [(self.group_heading(group, first=n == 0), [self.row(bar) for bar in group.bars])
                for n, group in enumerate(groups)]  # fmt: skip
        return _Section([self.line(heading, HEADING, colour, _HEADING_LINE)], laid)

    def line(self, words: str, font: FontProperties, colour: str, height: float) -> _Block:
        return _Block(height, lambda pen, y: pen.text(MARGIN, y, words, font, colour))

    def left_out(self, n: int) -> _Block:
        return self.line(f"…and {n} more: see the text", DETAIL, MUTED, _LINE)

    def group_heading(self, group: Group, first: bool) -> _Block:
        """A side, and where, above its bars, with a rule after it to the edge: each group is
        set apart from the next, so no bar reads as comparable with another group's."""
        side = drawable(group.side or "").strip().upper()
        place = (group.place or "").upper()
        if not side and not place:
            return _Block(0, _nothing)
        side = self.pen.fit(side, GROUP, _SPACE * (0.6 if place else 1.0))
        joiner = " · " if side and place else ""
        place = self.pen.fit(place, GROUP, _SPACE - self.pen.width(side + joiner, GROUP))
        gap = 0 if first else _GROUP_GAP

        def draw(pen: _Pen, y: float) -> None:
            y += gap
            pen.text(MARGIN, y + 4, side, GROUP, TEXT)
            x = MARGIN + pen.width(side, GROUP)
            if place:
                pen.text(x, y + 4, joiner + place, GROUP, MUTED)
                x += pen.width(joiner + place, GROUP)
            if x + 2 * _GAP < _RIGHT:
                pen.rule(y + _GROUP_LINE / 2, start=x + _GAP)

        return _Block(gap + _GROUP_LINE, draw)

    def row(self, bar: Bar) -> _Block:
        """A bar's words above it, the bar, and the amount beside it in the cable's words."""
        pen, claim = self.pen, bar.kind == "claim"
        label = f"{bar.claimant} claims: {bar.label}" if claim else bar.label
        labels = pen.wrap(label, LABEL, _SPACE, lines=3 if claim else 2)
        words = bar.low is None  # a figure in words: written on an empty track, no bar
        amount = bar.value.display()
        amount_lines = pen.wrap(amount, VALUE, _SPACE - 2 * _GAP) if words else [amount]
        end = MARGIN if words else self.x(bar.high if bar.high is not None else bar.low or 0)
        # Whose it is (a claim: whose verdict), and, where dates differ, as of when: each
        # beside the label if it fits there, else beside the amount, else on a line of its own.
        who = bar.verdict if claim else bar.claimant
        if words:
            who = f"{who} · no number given"
        when = f"as of {bar.as_of}" if self.chart.dates_differ else None
        free = {
            "label": _RIGHT - (MARGIN + pen.width(labels[-1], LABEL) + _GAP),
            "amount": _RIGHT - (end + _GAP + pen.width(amount_lines[-1], VALUE) + _GAP),
        }
        if claim:
            free["label"] = 0.0  # a verdict is not said in the same breath as the claim
        placed: dict[str, list[str]] = {"label": [], "amount": [], "own": []}
        for part in (who, when):
            if not part:
                continue
            for where in ("label", "amount"):
                need = pen.width(part, DETAIL) + (pen.width(" · ", DETAIL) if placed[where] else 0)
                if need <= free[where]:
                    placed[where].append(part)
                    free[where] -= need
                    break
            else:
                placed["own"].append(part)
        beside_label = " · ".join(placed["label"])
        beside_amount = " · ".join(placed["amount"])
        own = pen.wrap(" · ".join(placed["own"]), DETAIL, _SPACE, lines=2) if placed["own"] else []
        track = _BAR_LINE * len(amount_lines)
        height = len(labels) * _LINE + len(own) * _DETAIL_LINE + track + _ROW_GAP
        colour = CLAIM_COLOUR if claim else MUTED
        label_end = MARGIN + pen.width(labels[-1], LABEL) + _GAP
        amount_end = end + _GAP + pen.width(amount_lines[-1], VALUE) + _GAP

        def draw(pen: _Pen, y: float) -> None:
            for line in labels:
                pen.text(MARGIN, y, line, LABEL)
                y += _LINE
            if beside_label:
                pen.text(label_end, y - _LINE + 3, beside_label, DETAIL, MUTED)
            for line in own:
                pen.text(MARGIN, y, line, DETAIL, colour)
                y += _DETAIL_LINE
            top = y + (_BAR_LINE - _BAR) / 2
            pen.rect(MARGIN, top, _SPACE, track - (_BAR_LINE - _BAR), TRACK)
            if not words:
                self.bar(pen, bar, top)
            for n, line in enumerate(amount_lines):
                middle = y + _BAR_LINE * n + _BAR_LINE / 2
                pen.text(end + _GAP, middle, line, VALUE, CLAIM_COLOUR if claim else TEXT,
                         va="center")  # fmt: skip
            if beside_amount:
                last = y + track - _BAR_LINE / 2
                pen.text(amount_end, last, beside_amount, DETAIL, colour, va="center")

        return _Block(height, draw)

    def bar(self, pen: _Pen, bar: Bar, top: float) -> None:
        """Draw a bar: solid to its low end; a range goes on, lighter and dotted, to its top."""
        end = self.x(bar.low or 0)
        claim = bar.kind == "claim"
        # A claim is hollow and hatched: a figure nobody has assessed should not look like one.
        pen.rect(MARGIN, top, end - MARGIN, _BAR, "none" if claim else FIGURE_COLOUR,
                 edge=CLAIM_COLOUR if claim else None, hatch="//" if claim else None)  # fmt: skip
        if bar.high is not None:
            pen.rect(end, top, self.x(bar.high) - end, _BAR, "none" if claim else RANGE_COLOUR,
                     hatch="..", edge=CLAIM_COLOUR if claim else FIGURE_COLOUR)  # fmt: skip

    def footer(self) -> list[_Block]:
        """As of when and the sources, wrapped, never cut; a key to only what is drawn."""
        chart = self.chart
        sources = "; ".join(chart.sources) or "not recorded"
        label = "Sources" if len(chart.sources) > 1 else "Source"
        if chart.dates_differ:
            when = "Dates as marked on each bar"
        else:
            when = f"As of {', '.join(chart.as_of) or 'date not recorded'}"
        lines = self.pen.wrap(f"{when} · {label}: {sources}", FOOTER, _SPACE)
        blocks = [_Block(_FOOTER_GAP, lambda pen, y: pen.rule(y + _FOOTER_GAP / 2 - 4))]
        blocks += [self.line(line, FOOTER, MUTED, _DETAIL_LINE) for line in lines]
        keys = self.keys()
        if keys:
            blocks.append(_Block(_DETAIL_LINE * len(keys), self.draw_keys(keys)))
        return blocks

    def keys(self) -> list[list[tuple[str, str]]]:
        """The key's entries (swatch, words) in lines: only what the chart draws."""
        bars = [*self.chart.figures[: self.figures.shown], *self.chart.claims[: self.claims.shown]]
        entries: list[tuple[str, str]] = []
        if any(bar.high is not None for bar in bars):
            entries.append(("range", "dotted end: the top of a range"))
        if any(bar.kind == "claim" and bar.low is not None for bar in bars):
            entries.append(("claim", "hollow, hatched: a claim"))
        lines: list[list[tuple[str, str]]] = []
        x = float(_RIGHT)
        for swatch, words in entries:
            width = _SWATCH + _GAP + self.pen.width(words, FOOTER) + 2 * _GAP
            if x + width > _RIGHT + 2 * _GAP:
                lines.append([])
                x = MARGIN
            lines[-1].append((swatch, words))
            x += width
        return lines

    def draw_keys(self, lines: list[list[tuple[str, str]]]) -> Draw:
        def draw(pen: _Pen, y: float) -> None:
            for entries in lines:
                x: float = MARGIN
                middle = y + _DETAIL_LINE / 2
                for swatch, words in entries:
                    top = middle - 12
                    if swatch == "range":
                        pen.rect(x, top, _SWATCH / 2, 24, FIGURE_COLOUR)
                        pen.rect(x + _SWATCH / 2, top, _SWATCH / 2, 24, RANGE_COLOUR,
                                 hatch="..", edge=FIGURE_COLOUR)  # fmt: skip
                    else:
                        pen.rect(x, top, _SWATCH, 24, "none", edge=CLAIM_COLOUR, hatch="//")
                    x += _SWATCH + _GAP
                    pen.text(x, middle, words, FOOTER, MUTED, va="center")
                    x += pen.width(words, FOOTER) + 2 * _GAP
                y += _DETAIL_LINE

        return draw

    # ------------------------------------------------------------------ scale
    def x(self, amount: float) -> float:
        return MARGIN + self.bar_room * max(amount, 0.0) / self.chart.scale


_SWATCH = 56


def _nothing(pen: _Pen, y: float) -> None:
    """A block that draws nothing (a group with no heading)."""


@functools.cache
def _glyphs() -> frozenset[int]:
    return frozenset(FT2Font(findfont(font(10))).get_charmap())


def drawable(words: str) -> str:
    """words without the characters the font cannot draw (flags, most emoji).

    matplotlib would draw an empty box for each and warn; editors' labels may hold anything.
    """
    glyphs = _glyphs()
    kept = "".join(ch for ch in words if ord(ch) in glyphs or ch in " \n")
    return " ".join(kept.split()) if kept != words else words
