"""New cables out: each cable the feed (or an editor's /publish) brings is queued for every
active subscriber, in the transaction that stores it, and the push worker is woken.

A push Telegram would refuse for its content (a link it rejects) is queued held, and the
editors told once, by whichever process takes the hold first (the database keeps who was
told); /publish of a held cable reads it again and resends it once it is fixed.
More new cables in one poll than NEW_CABLES_PER_POLL are stored, not queued, as a burst
(bot/push/bursts.py): the editors are asked once, and the first tap pushes them or not.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.push.bursts import PUSH, AskEditors, Burst, Bursts
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


@dataclass(frozen=True, slots=True)
class Decided:
    """A burst after an editor's tap: first says whether that tap decided it."""

    burst: Burst
    first: bool
    pushed: tuple[str, ...] = ()  # the cables that tap queued


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
        *,
        at_once: int | None = None,
        ask: AskEditors | None = None,
        on_new_cable: Callable[[str, str | None], Awaitable[object]] | None = None,
    ) -> None:
        self.db = db
        self.ingest = ingest
        self.cables = cables
        self.outbox = outbox
        self.pushes = pushes
        self.on_hold = on_hold
        self.on_new_pushes = on_new_pushes
        # New cables one poll may push without an editor (None: any number); beyond it they
        # are held as a burst, and ask puts the question to the editors.
        self.at_once = at_once
        self.ask = ask
        self.bursts = Bursts(db)
        # Told of each new cable once it is stored, pushed or held (its drafting starts, in a
        # task a poll waits for), with the address /publish read it from.
        self.on_new_cable = on_new_cable

    async def poll_feed(self) -> PollResult:
        """Poll the feed once; its new cables go to the outbox. Never raises."""
        await self.resume()  # rows an earlier fill could not finish (a locked database)
        limited = self.at_once is not None and self.ask is not None
        result = await self.ingest.poll(
            self._queue,
            at_once=self.at_once if limited else None,
            on_held=self.bursts.hold if limited else None,
        )
        await self._tell_held()
        for cable_id in result.new_cables:
            await self._fill(cable_id)
        await self._ask_about_bursts()
        for drafting in self._arrived(*result.new_cables, *result.held_cables):
            await drafting
        return result

    async def resume(self) -> None:
        """Write the rows a stop left unwritten (a cable stored, its subscribers part-way),
        and tell of a hold, or ask about a burst, a stop left untold or unasked."""
        for cable_id in await self.outbox.unfinished_fills():
            await self._fill(cable_id)
        await self._tell_held()
        await self._ask_about_bursts()

    async def decide_burst(self, burst_id: int, decision: str, editor_id: int) -> Decided | None:
        """Push a burst's cables (or drop the hold): the first tap decides, once, whoever
        taps; None if there is no such burst."""
        burst = await self.bursts.get(burst_id)
        if burst is None:
            return None
        queued: list[str] = []
        async with self.db.transaction():
            first = await self.bursts.decide(burst_id, decision, editor_id)
            if first and decision == PUSH:
                # One transaction for the decision and every cable's promise of rows: a crash
                # leaves all of it, or none (the rows themselves follow, resumed at a start).
                for cable_id in burst.cable_ids:
                    if await self._queue_stored(cable_id):  # not /publish-ed meanwhile
                        queued.append(cable_id)
        await self._tell_held()
        for cable_id in queued:
            await self._fill(cable_id)
        decided = await self.bursts.get(burst_id)
        assert decided is not None
        if first:
            log.info("burst %s id=%d by=%d queued=%d", decision, burst_id, editor_id,
                     len(queued))  # fmt: skip
        return Decided(decided, first=first, pushed=tuple(queued))

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
            refused = await self._refusal(cable_id)
            self._arrived(cable_id, read_from=url)  # its drafting starts, held or not
            if refused is not None:
                raise refused
        elif stored.id in await self.outbox.holds():
            # Read it by its identity (the feed's guid), which a mended link leaves alone.
            guid = stored.guid or ""
            return await self._resend(guid if guid.startswith(("http://", "https://")) else url,
                                      stored.id)  # fmt: skip
        else:
            if stored.pushed_at is not None:
                raise PublishError(f"that cable was already pushed ({stored.pushed_at[:16]} UTC)")
            async with self.db.transaction():
                if not await self._queue_stored(stored.id):
                    raise PublishError("that cable was pushed a moment ago")
            cable_id = stored.id
            await self._fill(cable_id)
            if (refused := await self._refusal(cable_id)) is not None:
                raise refused
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
            problem = push_problem(self.pushes.cable(cable))
            if problem is not None:
                raise PublishError(f"Telegram would still refuse it: {problem}")
            waiting = await self.outbox.release_cable(cable_id)
        log.info("held cable released id=%s pushes=%d", cable_id, waiting)
        self.on_new_pushes()
        return Published(cable_id, resent=True)

    def _arrived(self, *cable_ids: str, read_from: str | None = None) -> list[Awaitable[object]]:
        hook = self.on_new_cable
        return [hook(cable_id, read_from) for cable_id in cable_ids] if hook else []

    async def _refusal(self, cable_id: str) -> PublishError | None:
        """Why a cable just published is held, if it is: the editor who published it hears
        it in the reply, and the other editors are not told again."""
        problem = (await self.outbox.holds()).get(cable_id)
        if problem is None:
            return None
        await self.outbox.untold_holds(cable_id)
        return PublishError(
            f"Telegram would refuse this push: {problem}. Nothing was sent; it is "
            "held until you fix it and /publish it again."
        )

    async def _tell_held(self) -> None:
        for cable_id, problem in await self.outbox.untold_holds():
            await self.on_hold(cable_id, problem)

    async def _ask_about_bursts(self) -> None:
        if self.ask is None:
            return
        for burst in await self.bursts.to_ask():
            await self.ask(burst)

    async def _queue_stored(self, cable_id: str) -> bool:
        """In the caller's transaction: a stored cable, not pushed yet, is queued; False if
        it was pushed already (the once-only guarantee)."""
        if not await self.cables.mark_pushed(cable_id):
            return False
        await self._queue(cable_id)
        return True

    async def _queue(self, cable_id: str) -> None:
        """In the cable's transaction: its rows promised, and held if Telegram would refuse
        its push. The rows are written after it (_fill)."""
        await self.outbox.start_fill(cable_id)
        cable = await self.cables.get(cable_id)
        problem = push_problem(self.pushes.cable(cable)) if cable is not None else None
        if problem is not None:
            await self.outbox.hold_cable(cable_id, problem, told=False)
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
