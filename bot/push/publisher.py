"""New cables out: each cable the feed (or an editor's /publish) brings is queued for every
active subscriber, in the transaction that stores it, and the push worker is woken.

A push Telegram would refuse for its content (a link it rejects) is queued held, and the
editors told; /publish of a held cable reads it again and resends it once it is fixed.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from bot.push.holds import OnHold, push_problem
from bot.push.messages import PushComposer
from bot.push.outbox import Outbox
from briefings.cables.ingest import CableIngest, IngestError, PollResult
from briefings.cables.store import CableStore
from briefings.database import Database, DatabaseProblem

log = logging.getLogger(__name__)


class PublishError(Exception):
    """A cable could not be published; the message says why."""


@dataclass(frozen=True, slots=True)
class Published:
    cable_id: str
    resent: bool = False  # a held cable released: it goes to those it had not reached


class Publisher:
    def __init__(
        self,
        db: Database,
        ingest: CableIngest,
        cables: CableStore,
        outbox: Outbox,
        pushes: PushComposer,
        on_hold: OnHold,
        on_new_pushes: Callable[[], None],
    ) -> None:
        self.db = db
        self.ingest = ingest
        self.cables = cables
        self.outbox = outbox
        self.pushes = pushes
        self.on_hold = on_hold
        self.on_new_pushes = on_new_pushes
        self._held: list[tuple[str, str]] = []  # held by the check, editors not yet told

    async def poll_feed(self) -> PollResult:
        """Poll the feed once; its new cables go to the outbox. Never raises."""
        await self.resume()  # rows an earlier fill could not finish (a locked database)
        result = await self.ingest.poll(self._queue)
        held, self._held = self._held, []
        for cable_id, problem in held:
            await self.on_hold(cable_id, problem)
        for cable_id in result.new_cables:
            await self._fill(cable_id)
        return result

    async def resume(self) -> None:
        """Write the rows a stop left unwritten (a cable stored, its subscribers part-way)."""
        for cable_id in await self.outbox.unfinished_fills():
            await self._fill(cable_id)

    async def publish_url(self, url: str) -> Published:
        """Push the cable at url now (once only), or resend a held one once it is fixed;
        raise PublishError to say why not."""
        stored = await self.cables.by_address(url)
        if stored is None:
            try:
                item = await self.ingest.read(url)
            except IngestError as exc:
                raise PublishError(str(exc)) from None
            cable_id = await self.ingest.store(item, "manual", self._queue)
            if cable_id is None:
                raise PublishError("that cable was stored a moment ago: see /cables")
            await self._fill(cable_id)
            self._refuse_if_held(cable_id)
        elif stored.id in await self.outbox.holds():
            # Read it by its identity (the feed's guid), which a mended link leaves alone.
            guid = stored.guid or ""
            return await self._resend(guid if guid.startswith(("http://", "https://")) else url,
                                      stored.id)  # fmt: skip
        else:
            if stored.pushed_at is not None:
                raise PublishError(f"that cable was already pushed ({stored.pushed_at[:16]} UTC)")
            async with self.db.transaction():
                if not await self.cables.mark_pushed(stored.id):
                    raise PublishError("that cable was pushed a moment ago")
                await self._queue(stored.id)
            cable_id = stored.id
            await self._fill(cable_id)
            self._refuse_if_held(cable_id)
        return Published(cable_id)

    async def _resend(self, url: str, cable_id: str) -> Published:
        """Read a held cable again; if Telegram would now take its push, release it."""
        try:
            item = await self.ingest.read(url)
        except IngestError as exc:
            raise PublishError(str(exc)) from None
        async with self.db.transaction():
            await self.cables.refresh(cable_id, item)
            cable = await self.cables.get(cable_id)
            assert cable is not None
            self.pushes.forget()
            problem = push_problem(self.pushes.cable(cable))
            if problem is not None:
                raise PublishError(f"Telegram would still refuse it: {problem}")
            waiting = await self.outbox.release_cable(cable_id)
        log.info("held cable released id=%s pushes=%d", cable_id, waiting)
        self.on_new_pushes()
        return Published(cable_id, resent=True)

    def _refuse_if_held(self, cable_id: str) -> None:
        for held in self._held:
            held_id, problem = held
            if held_id == cable_id:
                self._held.remove(held)  # the editor who published hears it in the reply
                raise PublishError(
                    f"Telegram would refuse this push: {problem}. Nothing was sent; it is "
                    "held until you fix it and /publish it again."
                )

    async def _queue(self, cable_id: str) -> None:
        """In the cable's transaction: its rows promised, and held if Telegram would refuse
        its push. The rows are written after it (_fill)."""
        await self.outbox.start_fill(cable_id)
        cable = await self.cables.get(cable_id)
        problem = push_problem(self.pushes.cable(cable)) if cable is not None else None
        if problem is not None:
            await self.outbox.hold_cable(cable_id, problem)
            self._held.append((cable_id, problem))
            log.warning("cable held before its push id=%s: %s", cable_id, problem)

    async def _fill(self, cable_id: str) -> None:
        # The worker is woken once every row is written: sending while writing slowed readers'
        # replies (B4), and a million rows take seconds against a delivery's quarter-hour.
        try:
            queued = await self.outbox.fill(cable_id)
        except (sqlite3.Error, DatabaseProblem) as exc:
            # Its promise stays in outbox_fills: the next poll (or start) writes the rest.
            log.warning("cable rows not all written id=%s (resumed later): %s", cable_id, exc)
            return
        finally:
            self.on_new_pushes()
        log.info("cable queued id=%s subscribers=%d", cable_id, queued)
