"""The /forces chart on Telegram: drawn once per stamp of the content (briefings/stamp.py),
uploaded once, then re-sent by the file_id Telegram gave it. Whatever goes wrong with it,
the reader still gets the text."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace

from telegram import InlineKeyboardMarkup, Message, PhotoSize
from telegram.error import BadRequest, TelegramError

from briefings.rendering.chart_data import ForcesChart, chart_of
from briefings.rendering.renderer import Briefing, BriefingRenderer
from briefings.rendering.telegram_html import MAX_CAPTION_LENGTH, visible_length
from briefings.stamp import stamp_to_keep

log = logging.getLogger(__name__)

# The sections that get a chart: those of figures (troop counts by side).
CHART_KIND = "figures"
# How long a /forces waits for another's upload of the same chart before its text goes alone.
UPLOAD_WAIT_SECONDS = 5.0
Markup = InlineKeyboardMarkup | None
_FILENAME = "forces.png"


class ChartUnavailable(Exception):
    """The chart could not be drawn; the briefing goes out as text alone."""


@dataclass(frozen=True, slots=True)
class DrawnChart:
    stamp: int | None  # of the content it was drawn from (None: read inside a transaction)
    chart: ForcesChart
    png: bytes
    caption: str  # the short caption, for a briefing too long to ride under the photo


class ForcesPhoto:
    """Keeps the current chart's PNG and its Telegram file_id, one of each per stamp."""

    def __init__(self, renderer: BriefingRenderer) -> None:
        self.db = renderer.store.db
        self.renderer = renderer
        self._drawn: DrawnChart | None = None
        # The size Telegram gave the upload, re-sent by its file_id: as a PhotoSize, not the
        # id's string, which PTB would first look for as a local file (a stat each /forces).
        self._uploaded: tuple[int, PhotoSize] | None = None
        # A burst of /forces after an editor's change draws once and uploads once.
        self._drawing = asyncio.Lock()
        self._uploading = asyncio.Lock()
        self.upload_wait = UPLOAD_WAIT_SECONDS

    async def draw(self) -> DrawnChart:
        """The chart of the facts as they are now, drawn in a thread the first time."""
        stamp = await stamp_to_keep(self.db)
        if stamp is not None and self._drawn is not None and self._drawn.stamp == stamp:
            return self._drawn
        async with self._drawing:
            stamp = await stamp_to_keep(self.db)
            if stamp is not None and self._drawn is not None and self._drawn.stamp == stamp:
                return self._drawn
            try:
                chart = chart_of(await self.renderer.facts_now())
                if self._drawn is not None and self._drawn.chart == chart:
                    # A change elsewhere (a fortification, a claim's wording): same picture, so
                    # keep its PNG and the file_id Telegram gave it; no redraw, no upload.
                    return self._carry_forward(stamp)
                png = await asyncio.to_thread(_draw, chart)
            except Exception as exc:  # matplotlib's failures are many; the text must still go
                raise ChartUnavailable(f"{type(exc).__name__}: {exc}") from exc
            caption = self.renderer.render_page("forces_caption", chart=chart)
            if visible_length(caption) > MAX_CAPTION_LENGTH:  # a title or source gone wild
                caption = self.renderer.render_page("forces_caption_short")
            drawn = DrawnChart(stamp, chart, png, caption)
            if stamp is not None:  # not read inside a transaction, which may roll back
                self._drawn = drawn
            return drawn

    def _carry_forward(self, stamp: int | None) -> DrawnChart:
        """The drawn chart, now vouched for at stamp too (its file_id with it)."""
        assert self._drawn is not None
        drawn = replace(self._drawn, stamp=stamp)
        if stamp is not None:
            if self._uploaded is not None and self._uploaded[0] == self._drawn.stamp:
                self._uploaded = (stamp, self._uploaded[1])
            self._drawn = drawn
        return drawn

    async def reply(
        self, message: Message, drawn: DrawnChart, caption: str, markup: Markup
    ) -> Message:
        """Reply with the chart: by file_id once Telegram has this one, else upload it."""
        uploaded = self._known(drawn)
        if uploaded is None:
            try:
                async with asyncio.timeout(self.upload_wait):
                    await self._uploading.acquire()
            except TimeoutError:
                # A slow upload must not hold up every reader's /forces behind it.
                raise ChartUnavailable("another upload of this chart is still under way") from None
            try:
                uploaded = self._known(drawn)  # another reply may have uploaded it meanwhile
                if uploaded is None:
                    return await self._upload(message, drawn, caption, markup)
            finally:
                self._uploading.release()
        try:
            return await message.reply_photo(uploaded, caption=caption, reply_markup=markup)
        except BadRequest as exc:
            if "file" not in exc.message.lower():
                raise
            log.warning("telegram refused the chart's file_id, uploading again: %s", exc.message)
            self._uploaded = None
            return await self._upload(message, drawn, caption, markup)

    def _known(self, drawn: DrawnChart) -> PhotoSize | None:
        if self._uploaded is not None and self._uploaded[0] == drawn.stamp:  # never None
            return self._uploaded[1]
        return None

    async def _upload(
        self, message: Message, drawn: DrawnChart, caption: str, markup: Markup
    ) -> Message:
        sent = await message.reply_photo(
            drawn.png, caption=caption, reply_markup=markup, filename=_FILENAME
        )
        if sent.photo and drawn.stamp is not None:  # the largest size last: any of its file_ids
            self._uploaded = (drawn.stamp, sent.photo[-1])  # re-sends the photo
        return sent


async def warm_chart(photo: ForcesPhoto) -> None:
    """Draw the chart ahead of the first /forces (importing matplotlib on the way), so no
    reader waits for it; a failure here is the first reader's text-only reply, later."""
    try:
        await photo.draw()
    except ChartUnavailable as exc:
        log.warning("chart not drawn ahead: %s", exc)


def _draw(chart: ForcesChart) -> bytes:
    # matplotlib is imported with the first chart, in this thread: a bot that never draws one
    # (a push-only deployment) never loads it, and its import never blocks the event loop.
    from briefings.rendering.chart import render_forces_chart

    return render_forces_chart(chart)


async def reply_with_chart(
    message: Message, briefing: Briefing, keyboard: InlineKeyboardMarkup, photo: ForcesPhoto
) -> bool:
    """Send the chart with the forces briefing; return True if its caption carried it all.

    A briefing too long for a caption goes under the chart as its own message (the caller
    sends it), with the keyboard there, where section buttons can edit it in place.
    """
    whole = briefing.length <= MAX_CAPTION_LENGTH
    try:
        drawn = await photo.draw()
        caption = briefing.text if whole else drawn.caption
        await photo.reply(message, drawn, caption, keyboard if whole else None)
    except (ChartUnavailable, TelegramError) as exc:
        log.warning("forces chart not sent, the text goes alone: %s", exc)
        return False
    return whole
