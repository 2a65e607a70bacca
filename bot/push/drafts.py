"""Each new cable drafted for the editors: its preview read and its statements drafted in a
process of its own (briefings/drafting/apart.py), kept (briefings/drafting/store.py), and
every editor told once, with a Review button (bot/editors/review.py takes it from there).

The preview is the post page up to the paywall, or, where the page cannot be read (another
host, an error), the feed item's teaser as stored. Nothing here delays the feed poll or an
editor's /publish: each cable is drafted in a task of its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

import httpx
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import TelegramError

from bot.desks import Desks
from briefings.cables.ingest import CableIngest, IngestError
from briefings.cables.store import CableStore, StoredCable
from briefings.drafting import CableRef, draft_statements
from briefings.drafting.apart import DraftingProcess
from briefings.drafting.preview import Preview, preview_from_html
from briefings.drafting.store import DraftStore, kind_counts
from briefings.rendering.renderer import Pages

log = logging.getLogger(__name__)

# The Review button's data: "rv:r:<the cable's row>" (bot/editors/review.py reads it).
REVIEW_PREFIX = "rv:r:"
# Cables drafted at once: a feed that brings a hundred is not a hundred page reads at once.
AT_ONCE = 4


class CableDrafting:
    """Drafts every new cable and tells the editors, one task per cable."""

    def __init__(
        self,
        drafts: DraftStore,
        cables: CableStore,
        desks: Desks,
        ingest: CableIngest,
        bot: Bot,
        pages: Pages,
        editors: Iterable[int],
        background: set[asyncio.Task[Any]],
    ) -> None:
        self.drafts = drafts
        self.cables = cables
        self.desks = desks
        self.ingest = ingest
        self.bot = bot
        self.pages = pages
        self.editors = sorted(editors)
        self.background = background  # the services' tasks, cancelled at stop
        self._drafting: set[asyncio.Task[int]] = set()
        self._turns = asyncio.Semaphore(AT_ONCE)
        self.apart = DraftingProcess()  # reading and drafting, away from the event loop

    async def close(self) -> None:
        """End the drafting process (after stop_background has cancelled the drafts)."""
        await self.apart.close()

    def cable_arrived(self, cable_id: str, read_from: str | None = None) -> asyncio.Task[int]:
        """Draft a new cable in a task of its own (the feed poll or /publish goes on); its
        page is read at read_from (the address /publish read), else at the cable's address."""
        task = asyncio.create_task(self.draft(cable_id, read_from), name=f"draft-{cable_id}")
        for tasks in (self.background, self._drafting):
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        return task

    async def settled(self) -> None:
        """Wait until every cable being drafted is drafted and its editors told (so that
        /publish's editor reads the Review message before the reply to their next command)."""
        if self._drafting:
            await asyncio.wait(set(self._drafting))

    async def draft(self, cable_id: str, read_from: str | None = None) -> int:
        """Draft a stored cable, keep its drafts and tell the editors; how many were kept."""
        async with self._turns:
            return await self._draft(cable_id, read_from)

    async def _draft(self, cable_id: str, read_from: str | None) -> int:
        try:
            cable = await self.cables.get(cable_id)
            if cable is None:
                return 0
            preview = await self._preview(cable, read_from or cable.url)
            paid = cable.paid or preview.paid  # a page's paywall box says so too
            subtitle = cable.subtitle or preview.subtitle  # a page's, where /publish read one
            ref = CableRef(cable.url, cable.title, subtitle, cable.published, paid)
            if cable.situation_id is None:
                drafts = await self.apart.run(draft_statements, preview.text, ref)
            else:  # attached already (the seeded cable): only what its situation lacks
                store = self.desks.get(cable.situation_id).store
                facts = await store.facts()
                drafts = await self.apart.run(draft_statements, preview.text, ref,
                                              await store.situation(), facts,
                                              await store.claims(facts))  # fmt: skip
            kept = await self.drafts.save(cable_id, drafts, cable.situation_id)
        except Exception:
            log.exception("drafting failed cable=%s", cable_id)
            return 0
        log.info("cable drafted id=%s drafts=%d", cable_id, kept)
        if kept:
            await self._tell_editors(cable, kind_counts(drafts))
        return kept

    async def _preview(self, cable: StoredCable, address: str) -> Preview:
        """The post page up to the paywall; the stored teaser where it cannot be read."""
        try:
            page = await self.ingest.page(address)
        except (IngestError, httpx.HTTPError) as exc:
            log.info("drafting %s from its teaser: page not read (%s)", cable.id, exc)
            page = cable.teaser_html
        # The teaser's reader is Python over the whole page: apart, as the drafting.
        return await self.apart.run(
            preview_from_html, page, cable.url, cable.title, cable.subtitle
        )

    async def _tell_editors(self, cable: StoredCable, counts: list[tuple[int, str]]) -> None:
        text = self.pages.render_page("review_ready", cable=cable, counts=counts)
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton("📝 Review", callback_data=f"{REVIEW_PREFIX}{cable.rowid}")]]
        )
        for editor_id in self.editors:
            try:
                await self.bot.send_message(editor_id, text, reply_markup=markup)
            except TelegramError as exc:
                log.warning("could not tell editor %s of drafts: %s", editor_id, exc)
