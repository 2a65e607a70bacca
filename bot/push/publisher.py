"""New cables out: each cable the feed (or an editor's /publish) brings is queued for every
active subscriber, in the transaction that stores it, and the push worker is woken."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.push.outbox import Outbox
from briefings.cables.ingest import CableIngest, IngestError, PollResult
from briefings.cables.store import CableStore
from briefings.database import Database

log = logging.getLogger(__name__)


class PublishError(Exception):
    """A cable could not be published; the message says why."""


class Publisher:
    def __init__(
        self,
        db: Database,
        ingest: CableIngest,
        cables: CableStore,
        outbox: Outbox,
        on_new_pushes: Callable[[], None],
    ) -> None:
        self.db = db
        self.ingest = ingest
        self.cables = cables
        self.outbox = outbox
        self.on_new_pushes = on_new_pushes

    async def poll_feed(self) -> PollResult:
        """Poll the feed once; its new cables go to the outbox. Never raises."""
        result = await self.ingest.poll(self._queue)
        if result.new_cables:
            self.on_new_pushes()
        return result

    async def publish_url(self, url: str) -> str:
        """Push the cable at url now (once only); return its id or raise PublishError."""
        stored = await self.cables.by_address(url)
        if stored is None:
            try:
                item = await self.ingest.read(url)
            except IngestError as exc:
                raise PublishError(str(exc)) from None
            cable_id = await self.ingest.store(item, "manual", self._queue)
            if cable_id is None:
                raise PublishError("that cable was stored a moment ago: see /cables")
        else:
            if stored.pushed_at is not None:
                raise PublishError(f"that cable was already pushed ({stored.pushed_at[:16]} UTC)")
            async with self.db.transaction():
                if not await self.cables.mark_pushed(stored.id):
                    raise PublishError("that cable was pushed a moment ago")
                await self._queue(stored.id)
            cable_id = stored.id
        self.on_new_pushes()
        return cable_id

    async def _queue(self, cable_id: str) -> None:
        queued = await self.outbox.enqueue_cable(cable_id)
        log.info("cable queued id=%s subscribers=%d", cable_id, queued)
