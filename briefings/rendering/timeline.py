"""Draw /timeline as a PNG: a figure's values over time, in the forces chart's style (its
palette, font and sizes, its pen: briefings/rendering/chart.py), readable at a phone's width
in Telegram's light and dark themes.

Each value has a column of its own, oldest on the left, evenly spaced (the dates under them
say when: spaced by date, values a day apart would sit on one another). Above each column,
the value as the briefings give it and whose it is. Numbers stand on one scale: a figure as a
dot, a range as a band from its low to its high, a side's claim as a hollow, hatched square
(never joined to the figures' line); values given in words sit on a track of their own,
never turned into a number.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from briefings.rendering.chart import (
    BACKGROUND,
    CLAIM_COLOUR,
    DETAIL,
    DPI,
    FIGURE_COLOUR,
    FOOTER,
    HEADING,
    MARGIN,
    MUTED,
    RANGE_COLOUR,
    RULE,
    TEXT,
    TITLE,
    TRACK,
    VALUE,
    WIDTH,
    _Pen,  # the chart's own pen (text measured, wrapped and cut as the chart does)
)
from briefings.rendering.timeline_data import Point, Timeline

_RIGHT = WIDTH - MARGIN
_LINE, _DETAIL_LINE = 44, 40
_VALUE_LINES, _WHOSE_LINES = 2, 2  # above each column: the value, then whose it is
_PLOT = 380  # the numbers' track
_MARK = 30  # a dot's or a claim's size
_BAND = 36  # a range's width


def render_timeline(timeline: Timeline) -> bytes:
    """Draw timeline as a PNG WIDTH pixels wide and return its bytes."""
    page = _Page(timeline)
    figure = Figure(figsize=(WIDTH / DPI, page.height / DPI), dpi=DPI, facecolor=BACKGROUND)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, WIDTH)
    axes.set_ylim(page.height, 0)  # pixels, y growing downwards like a page
    axes.set_axis_off()
    page.draw(_Pen(axes))
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, facecolor=BACKGROUND)
    return out.getvalue()


class _Page:
    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self.points = timeline.points
        self.numbers = [p for p in self.points if p.value.kind != "text"]
        self.words = [p for p in self.points if p.value.kind == "text"]
        self.column = (_RIGHT - MARGIN) / max(1, len(self.points))
        pen = _Pen()
        self.labels = [self._label(pen, point) for point in self.points]
        self.word_lines = [
            pen.wrap(point.shown, DETAIL, self.column - 16, lines=3) if point in self.words else []
            for point in self.points
        ]
        self.title = pen.wrap(timeline.label, TITLE, _RIGHT - MARGIN, lines=2)
        self.top = 34 + 50 * len(self.title) + _DETAIL_LINE + 16
        self.label_height = _LINE * _VALUE_LINES + _DETAIL_LINE * _WHOSE_LINES
        self.plot_top = self.top + self.label_height + 24
        self.plot_height = _PLOT if self.numbers else 0
        words_height = _DETAIL_LINE * max((len(lines) for lines in self.word_lines), default=0)
        self.words_top = self.plot_top + self.plot_height + (24 if self.numbers else 0)
        self.words_height = words_height + (_DETAIL_LINE + 12 if self.words else 0)
        self.dates_top = self.words_top + self.words_height + 12
        self.footer_top = self.dates_top + _LINE + 24
        footer_lines = 2 if any(point.claim for point in self.numbers) else 1
        self.height = int(self.footer_top + _DETAIL_LINE * footer_lines + 26)
        self.scale = max((p.value.high or p.value.low or 0.0 for p in self.numbers), default=1.0)

    def _label(self, pen: _Pen, point: Point) -> list[str]:
        room = self.column - 16
        whose = point.voice + (" claims" if point.claim else "")
        if point.verdict:
            whose += f". {point.verdict}"
        shown = point.shown if point.value.kind != "text" else "(in words, below)"
        value = pen.wrap(shown, VALUE, room, lines=_VALUE_LINES)
        value += [""] * (_VALUE_LINES - len(value))
        return [*value, *pen.wrap(whose, DETAIL, room, lines=_WHOSE_LINES)]

    def x(self, n: int) -> float:
        return MARGIN + self.column * (n + 0.5)

    def y(self, amount: float) -> float:
        usable = self.plot_height - 2 * _MARK
        return self.plot_top + self.plot_height - _MARK - usable * amount / (self.scale * 1.1)

    def draw(self, pen: _Pen) -> None:
        y = 34.0
        for line in self.title:
            pen.text(MARGIN, y, line, TITLE)
            y += 50
        left = f" ({self.timeline.left_out} older not drawn)" if self.timeline.left_out else ""
        pen.text(MARGIN, y, f"Its values over time, each with whose it is{left}", DETAIL, MUTED)
        # Each column's words are centred over its mark, so a value reads with its point.
        for n, label in enumerate(self.labels):
            colour = CLAIM_COLOUR if self.points[n].claim else TEXT
            for k, line in enumerate(label[:_VALUE_LINES]):
                pen.text(self.x(n), self.top + k * _LINE, line, VALUE, colour, ha="center")
            for k, line in enumerate(label[_VALUE_LINES:]):
                top = self.top + _VALUE_LINES * _LINE + k * _DETAIL_LINE
                pen.text(self.x(n), top, line, DETAIL, MUTED, ha="center")
        if self.numbers:
            self._draw_numbers(pen)
        if self.words:
            pen.text(MARGIN, self.words_top, "Given in words", HEADING, MUTED)
            for n, lines in enumerate(self.word_lines):
                for k, line in enumerate(lines):
                    top = self.words_top + _DETAIL_LINE + 12 + k * _DETAIL_LINE
                    pen.text(self.x(n), top, line, DETAIL, TEXT, ha="center")
        for n, point in enumerate(self.points):
            pen.text(self.x(n), self.dates_top, point.when, DETAIL, MUTED, ha="center")
        pen.rule(self.footer_top - 12)
        pen.text(MARGIN, self.footer_top, "From the editors' history of this figure; each "
                 "value as the briefings gave it.", FOOTER, MUTED)  # fmt: skip
        if any(point.claim for point in self.numbers):  # the key names only what is drawn
            pen.text(MARGIN, self.footer_top + _DETAIL_LINE, "Hollow, hatched: a side's claim.",
                     FOOTER, MUTED)  # fmt: skip

    def _draw_numbers(self, pen: _Pen) -> None:
        pen.rect(MARGIN, self.plot_top, _RIGHT - MARGIN, self.plot_height, TRACK)
        pen.rule(self.y(0))
        line: list[tuple[float, float]] = []
        for n, point in enumerate(self.points):
            if point.value.kind == "text":
                continue
            x, low = self.x(n), point.value.low or 0.0
            high = point.value.high if point.value.kind == "range" else None
            if point.claim:
                top = self.y(high if high is not None else low)
                pen.rect(x - _MARK / 2, top - _MARK / 2, _MARK, _MARK, BACKGROUND,
                         edge=CLAIM_COLOUR, hatch="//")  # fmt: skip
                continue
            if high is not None:  # a range: a band from its low to its high
                pen.rect(x - _BAND / 2, self.y(high), _BAND, self.y(low) - self.y(high),
                         RANGE_COLOUR)  # fmt: skip
            mid = (low + high) / 2 if high is not None else low
            dot = _MARK * 72 / DPI / 1.4  # in points
            pen.axes.plot([x], [self.y(mid)], marker="o", markersize=dot, color=FIGURE_COLOUR,
                          markeredgecolor=TEXT, markeredgewidth=2)  # fmt: skip
            line.append((x, self.y(mid)))
        if len(line) > 1:
            xs, ys = zip(*line, strict=True)
            # Above the track (a patch, zorder 1), under the marks (lines, zorder 2).
            pen.axes.plot(xs, ys, color=FIGURE_COLOUR, linewidth=3, zorder=1.5)
        pen.axes.plot([MARGIN, _RIGHT], [self.plot_top, self.plot_top], color=RULE, linewidth=1)
