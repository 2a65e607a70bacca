"""The /stats chart: readers a day, and subscribers joined and left, over 30 days (Agg)."""

from __future__ import annotations

import io

from bot.stats.store import Figures


def render_stats_chart(figures: Figures) -> bytes:
    """A PNG of the figures' days; matplotlib imported here, in the caller's thread."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    days = [row.day[5:] for row in figures.days]
    figure, (readers, subscribers) = pyplot.subplots(2, 1, figsize=(8, 5), sharex=True)
    readers.bar(days, [row.readers for row in figures.days], color="#4878a8")
    readers.set_ylabel("readers a day")
    subscribers.bar(days, [row.joined for row in figures.days], color="#5a9e5a", label="joined")
    subscribers.bar(days, [-row.left - row.blocked for row in figures.days], color="#c0504d",
                    label="left or blocked")  # fmt: skip
    subscribers.axhline(0, color="black", linewidth=0.6)
    subscribers.set_ylabel("subscribers")
    subscribers.legend(loc="upper left", fontsize=8)
    subscribers.tick_params(axis="x", labelrotation=90, labelsize=7)
    figure.suptitle("The last 30 days")
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=80)
    pyplot.close(figure)
    return out.getvalue()
