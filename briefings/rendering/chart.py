"""Draw the /forces chart as a PNG: a pure function of the chart's data, no display needed.

Drawn with matplotlib's Figure and Agg canvas directly, never pyplot: no global state, so
several charts may be drawn at once in threads. Laid out in pixels for a phone, where the
1280-pixel-wide image is shown about 400 points wide: no text is under 25 pixels (18 pt).
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont
from matplotlib.ft2font import FT2Font
from matplotlib.patches import Rectangle

from briefings.rendering.chart_data import Bar, ForcesChart

WIDTH, HEIGHT = 1280, 1280
_DPI = 100
_MARGIN = 56
_RIGHT = WIDTH - _MARGIN

# A dark slate that sits well in Telegram's light and dark themes alike; text contrast >= 7:1.
BACKGROUND = "#1b222c"
_TRACK = "#28313d"
_TEXT = "#f2f4f7"
_MUTED = "#b9c3cf"
_FIGURE = "#4ea8de"
_RANGE = "#a5d4f2"
_CLAIM = "#f4a259"
_RULE = "#4a5563"

_FAMILY = "DejaVu Sans"  # matplotlib ships it, so the chart looks the same on every machine


def _font(size: float, bold: bool = False) -> FontProperties:
    return FontProperties(family=_FAMILY, size=size, weight="bold" if bold else "normal")


TITLE = _font(30, bold=True)
SUBTITLE = _font(20)
HEADING = _font(18, bold=True)
LABEL = _font(24, bold=True)
VALUE = _font(23, bold=True)
DETAIL = _font(20)
FOOTER = _font(19)


def render_forces_chart(chart: ForcesChart) -> bytes:
    """Draw chart as a WIDTH x HEIGHT PNG and return its bytes."""
    figure = Figure(figsize=(WIDTH / _DPI, HEIGHT / _DPI), dpi=_DPI, facecolor=BACKGROUND)
    canvas = FigureCanvasAgg(figure)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, WIDTH)
    axes.set_ylim(HEIGHT, 0)  # pixels, y growing downwards like a page
    axes.set_axis_off()
    _Page(axes, canvas.get_renderer(), chart).draw()
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=_DPI, facecolor=BACKGROUND)
    return out.getvalue()


# Vertical layout, in pixels: a text line, the gaps around a bar, a bar, the headings.
_LINE, _GAP_ABOVE_BAR, _BAR, _GAP_BELOW_BAR = 36, 6, 36, 22
_HEADING = 46
_DIVIDER = 48
_FOOTER_TOP = HEIGHT - 110


@dataclass
class _Row:
    """A bar laid out: its text lines above it, and the words after it."""

    bar: Bar
    lines: list[tuple[str, str]]  # (words, "label", "detail" or "label+detail" on one line)
    value: str
    after: str

    @property
    def height(self) -> float:
        return len(self.lines) * _LINE + _GAP_ABOVE_BAR + _BAR + _GAP_BELOW_BAR


class _Page:
    def __init__(self, axes: Axes, renderer: RendererAgg, chart: ForcesChart) -> None:
        self.axes = axes
        self.renderer = renderer
        self.chart = chart
        self.y = 0.0
        rows = [self.plan(bar) for bar in (*chart.figures, *chart.claims)]
        # Words after a bar must fit beside the longest one: the bars get what is left, but
        # never less than half the width, whatever an editor writes.
        beside = max((self.after_width(row) for row in rows), default=0.0)
        self.bar_room = _RIGHT - _MARGIN - min(max(beside + 24, 240), 600)
        self.figure_rows = rows[: len(chart.figures)]
        self.claim_rows = rows[len(chart.figures) :]

    def draw(self) -> None:
        self.y = 40
        for line in self.wrap(self.chart.title, TITLE, _RIGHT - _MARGIN, lines=2):
            self.text(_MARGIN, self.y, line, TITLE)
            self.y += 48
        self.text(_MARGIN, self.y + 10, "Troop numbers, and who says so. Every bar to one scale.",
                  SUBTITLE, _MUTED)  # fmt: skip
        self.y += 70
        self.heading("FIGURES ON RECORD", _MUTED)
        # The image has one size. Claims may take up to half of what is left, figures the
        # rest; rows past their room are left to the text (it takes many editors' additions).
        area = _FOOTER_TOP - self.y
        above_claims = _DIVIDER + _HEADING if self.claim_rows else 0
        area -= above_claims
        claims = _fitting(self.claim_rows, min(_height(self.claim_rows), area / 2))
        figures = _fitting(self.figure_rows, area - _height(claims, self.claim_rows))
        self.rows(figures, self.figure_rows)
        if not self.figure_rows:
            self.note("No troop figures are on record.")
        if self.claim_rows:
            self.divider()
            self.heading("CLAIMS: A SIDE'S WORD, NOT AN ASSESSED FIGURE", _CLAIM)
            self.rows(claims, self.claim_rows)
        self.footer()

    # ------------------------------------------------------------------ planning
    def plan(self, bar: Bar) -> _Row:
        space = _RIGHT - _MARGIN
        if bar.kind == "claim":
            label = f"{bar.claimant} claims: {bar.label}"
            lines = [(line, "label") for line in self.wrap(label, LABEL, space, lines=2)]
            if bar.verdict:  # no verdict on record: nothing said (EDITORIAL.md, rule 3)
                lines.append((self.fit(bar.verdict, DETAIL, space), "detail"))
            return _Row(bar, lines, bar.value.display(), "")
        label = self.fit(bar.label, LABEL, space)
        who = bar.claimant
        if self.width(label, LABEL) + 16 + self.width(who, DETAIL) <= space:
            lines = [(label, "label+detail")]
        else:
            lines = [(label, "label"), (self.fit(who, DETAIL, space), "detail")]
        after = "no number given" if bar.low is None else ""
        return _Row(bar, lines, bar.value.display(), after)

    def after_width(self, row: _Row) -> float:
        if row.bar.low is None:
            return 0.0  # words, no bar: they are written on the empty track
        gap = 14 if row.after else 0
        return self.width(row.value, VALUE) + gap + self.width(row.after, DETAIL)

    # ------------------------------------------------------------------ pieces
    def heading(self, words: str, colour: str) -> None:
        self.text(_MARGIN, self.y, words, HEADING, colour)
        self.y += _HEADING

    def rows(self, shown: list[_Row], planned: list[_Row]) -> None:
        for row in shown:
            self.row(row)
        if len(shown) < len(planned):
            self.note(f"…and {len(planned) - len(shown)} more: see the text")

    def note(self, words: str) -> None:
        self.text(_MARGIN, self.y, words, DETAIL, _MUTED)
        self.y += _LINE

    def divider(self) -> None:
        middle = self.y + _DIVIDER / 2 - 8
        self.axes.plot([_MARGIN, _RIGHT], [middle, middle], color=_RULE, linewidth=2,
                       linestyle=(0, (6, 5)))  # fmt: skip
        self.y += _DIVIDER

    def row(self, row: _Row) -> None:
        for words, kind in row.lines:
            if kind == "detail":
                colour = _CLAIM if row.bar.kind == "claim" else _MUTED
                self.text(_MARGIN, self.y + 3, words, DETAIL, colour)
            else:
                self.text(_MARGIN, self.y, words, LABEL)
            if kind == "label+detail":
                who = row.bar.claimant
                self.text(_MARGIN + self.width(words, LABEL) + 16, self.y + 3, who, DETAIL, _MUTED)
            self.y += _LINE
        self.y += _GAP_ABOVE_BAR
        self.rect(_MARGIN, self.y, _RIGHT - _MARGIN, _BAR, _TRACK)
        end = self.bar(row.bar, self.y, _BAR)
        middle = self.y + _BAR / 2
        colour = _CLAIM if row.bar.kind == "claim" else _TEXT
        x = end + 14
        self.text(x, middle, row.value, VALUE, colour, va="center")
        if row.after:
            x += self.width(row.value, VALUE) + 14
            self.text(x, middle, self.fit(row.after, DETAIL, _RIGHT - x), DETAIL, _MUTED,
                      va="center")  # fmt: skip
        self.y += _BAR + _GAP_BELOW_BAR

    def bar(self, bar: Bar, top: float, height: float) -> float:
        """Draw the bar; return where its words may start (its end, or the track's start)."""
        if bar.low is None:
            return _MARGIN
        end = self.x(bar.low)
        claim = bar.kind == "claim"
        # A claim is hollow and hatched: a figure nobody has assessed should not look like one.
        self.rect(_MARGIN, top, end - _MARGIN, height, "none" if claim else _FIGURE,
                  edge=_CLAIM if claim else None, hatch="//" if claim else None)  # fmt: skip
        if bar.high is not None:
            # A range: solid (or hatched) to its low end, a lighter, dotted extension to its top.
            high = self.x(bar.high)
            self.rect(end, top, high - end, height, "none" if claim else _RANGE, hatch="..",
                      edge=_CLAIM if claim else _FIGURE)  # fmt: skip
            end = high
        return end

    def footer(self) -> None:
        chart = self.chart
        as_of = ", ".join(chart.as_of) or "date not recorded"
        line = f"As of {as_of} · Source: {'; '.join(chart.sources) or 'not recorded'}"
        self.text(_MARGIN, _FOOTER_TOP + 20, self.fit(line, FOOTER, _RIGHT - _MARGIN), FOOTER,
                  _MUTED)  # fmt: skip
        key = "Lighter, dotted end: the top of a range.   Hollow, hatched: a claim."
        self.text(_MARGIN, _FOOTER_TOP + 60, key, FOOTER, _MUTED)

    # ------------------------------------------------------------------ drawing helpers
    def x(self, amount: float) -> float:
        return _MARGIN + self.bar_room * max(amount, 0.0) / self.chart.scale

    def rect(
        self, x: float, y: float, w: float, h: float, colour: str,
        edge: str | None = None, hatch: str | None = None,
    ) -> None:  # fmt: skip
        patch = Rectangle(
            (x, y), max(w, 0.0), h, facecolor=colour, edgecolor=edge or "none",
            hatch=hatch, linewidth=2 if edge else 0,
        )  # fmt: skip
        self.axes.add_patch(patch)

    def text(
        self, x: float, y: float, words: str, font: FontProperties, colour: str = _TEXT,
        va: str = "top",
    ) -> None:  # fmt: skip
        # parse_math=False: a "$" an editor typed is a dollar sign, not the start of TeX.
        self.axes.text(x, y, drawable(words), fontproperties=font, color=colour, va=va,
                       ha="left", parse_math=False)  # fmt: skip

    def width(self, words: str, font: FontProperties) -> float:
        if not words:
            return 0.0
        width, _, _ = self.renderer.get_text_width_height_descent(
            drawable(words), font, ismath=False
        )
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

    def wrap(self, words: str, font: FontProperties, space: float, lines: int) -> list[str]:
        """words in at most `lines` lines of space pixels, the last cut short if need be."""
        rest = words.split()
        out: list[str] = []
        while rest and len(out) < lines:
            line = [rest.pop(0)]
            while rest and self.width(" ".join([*line, rest[0]]), font) <= space:
                line.append(rest.pop(0))
            out.append(self.fit(" ".join(line), font, space))  # one word may be too long
        if rest:
            out[-1] = self.fit(" ".join([out[-1], *rest]), font, space)
        return out or [""]


def _height(rows: list[_Row], planned: list[_Row] | None = None) -> float:
    """How tall rows stand, with the line saying what was left out of planned, if anything."""
    left_out = planned is not None and len(rows) < len(planned)
    return sum(row.height for row in rows) + (_LINE if left_out else 0)


def _fitting(rows: list[_Row], room: float) -> list[_Row]:
    """The rows, first to last, that fit in room with a line left to say what did not."""
    shown = list(rows)
    while shown and _height(shown, rows) > room:
        shown.pop()
    return shown


@functools.cache
def _glyphs() -> frozenset[int]:
    return frozenset(FT2Font(findfont(_font(10))).get_charmap())


def drawable(words: str) -> str:
    """words without the characters the font cannot draw (flags, most emoji).

    matplotlib would draw an empty box for each and warn; editors' labels may hold anything.
    """
    glyphs = _glyphs()
    kept = "".join(ch for ch in words if ord(ch) in glyphs or ch in " \n")
    return " ".join(kept.split()) if kept != words else words
