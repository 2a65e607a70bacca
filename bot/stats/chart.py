"""The /stats chart: readers a day, and subscribers joined and left, over 30 days.

Drawn as the /forces chart is (its palette, font and width, for a phone), with matplotlib's
Figure and Agg canvas directly, never pyplot, so it may be drawn in a thread.
"""

from __future__ import annotations

import io
from datetime import date

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

from bot.stats.store import Figures
from briefings.rendering.chart import (
    BACKGROUND,
    CLAIM_COLOUR,
    DPI,
    FIGURE_COLOUR,
    MUTED,
    RULE,
    TEXT,
    TRACK,
    WIDTH,
    font,
)  # fmt: skip

HEIGHT = 1000
_JOINED = "#6cc4a1"  # a green that keeps 7:1 on the slate, beside the readers' blue
_LEFT = CLAIM_COLOUR


def stats_period(figures: Figures) -> str:
    """The days the chart covers, as readers read dates: "7 Nov – 6 Dec 2026"."""
    first, last = (date.fromisoformat(figures.days[n].day) for n in (0, -1))
    start = f"{first.day} {first:%b}" + ("" if first.year == last.year else f" {first.year}")
    return f"{start} – {last.day} {last:%b %Y}"


def stats_caption(figures: Figures) -> str:
    """The photo's caption: what it shows and the period it covers (plain text)."""
    return (
        f"📊 Readers a day and subscribers joined and left, {stats_period(figures)}"
        f" ({len(figures.days)} UTC days)"
    )


def render_stats_chart(figures: Figures) -> bytes:
    """A PNG of the figures' days, WIDTH x HEIGHT."""
    out = io.BytesIO()
    stats_figure(figures).savefig(out, format="png", dpi=DPI, facecolor=BACKGROUND)
    return out.getvalue()


def stats_figure(figures: Figures) -> Figure:
    """The chart on a Figure of its own: readers a day above, subscribers below."""
    figure = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, facecolor=BACKGROUND)
    FigureCanvasAgg(figure)
    figure.text(56 / WIDTH, 1 - 34 / HEIGHT, "The bot's reach", color=TEXT, va="top",
                fontproperties=font(42, bold=True))  # fmt: skip
    figure.text(56 / WIDTH, 1 - 92 / HEIGHT, f"{stats_period(figures)}, by UTC day",
                color=MUTED, va="top", fontproperties=font(32))  # fmt: skip
    days = list(range(len(figures.days)))
    readers = figure.add_axes((150 / WIDTH, 0.50, 1 - 200 / WIDTH, 0.30))
    subscribers = figure.add_axes((150 / WIDTH, 0.09, 1 - 200 / WIDTH, 0.30))
    readers.bar(days, [row.readers for row in figures.days], color=FIGURE_COLOUR, width=0.75)
    _style(readers, figures, "Readers a day", ticks=False)
    joined = [row.joined for row in figures.days]
    gone = [-(row.left + row.blocked) for row in figures.days]
    subscribers.bar(days, joined, color=_JOINED, width=0.75)
    subscribers.bar(days, gone, color=_LEFT, width=0.75)
    subscribers.axhline(0, color=MUTED, linewidth=2)
    _style(subscribers, figures, "Subscribers: joined (up), left or blocked (down)", ticks=True)
    # Counts of people are whole: below zero they are those who went, so no minus sign.
    subscribers.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{abs(int(value))}"))
    return figure


def _style(axes: Axes, figures: Figures, title: str, ticks: bool) -> None:
    axes.set_facecolor(TRACK)
    axes.set_title(title, loc="left", color=TEXT, fontproperties=font(34, bold=True), pad=16)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(RULE)
    # Whole people only: never a 0.2 step; at least 0 to 1 when nothing was counted.
    axes.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True, min_n_ticks=1))
    low, high = axes.get_ylim()
    axes.set_ylim(low if low < -0.5 else 0, max(high, 1))
    axes.grid(axis="y", color=RULE, linewidth=1)
    axes.set_axisbelow(True)
    axes.set_xlim(-0.6, len(figures.days) - 0.4)
    # A date every week, ending today: 30 dates would not be readable on a phone.
    last = len(figures.days) - 1
    marks = list(range(last, -1, -7))[::-1]
    axes.xaxis.set_major_locator(FixedLocator(marks))
    labels = {n: _short(figures.days[n].day) for n in marks}
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: labels.get(round(value), "")))
    axes.tick_params(colors=MUTED, labelsize=32 * 72 / DPI, length=6, labelbottom=ticks)
    for label in (*axes.get_xticklabels(), *axes.get_yticklabels()):
        label.set_fontfamily(font(32).get_family())


def _short(day: str) -> str:
    when = date.fromisoformat(day)
    return f"{when.day} {when:%b}"
