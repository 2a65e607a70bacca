"""A desk per situation: its facts store, briefings, editing and chart, one of each."""

from __future__ import annotations

from dataclasses import dataclass

from bot.forces_photo import ForcesPhoto
from briefings.database import Database
from briefings.facts.editing import FactEditor
from briefings.facts.store import FactStore
from briefings.rendering.renderer import BriefingRenderer, Pages
from briefings.situations import Situations


@dataclass(slots=True)
class Desk:
    """One situation's facts, their briefings, their editing and their chart."""

    store: FactStore
    renderer: BriefingRenderer
    editor: FactEditor
    forces_photo: ForcesPhoto


class Desks:
    """A desk per situation, made the first time it is asked for, one of each."""

    def __init__(self, db: Database, situations: Situations, pages: Pages) -> None:
        self.db = db
        self.situations = situations
        self.pages = pages
        self._desks: dict[str, Desk] = {}

    def get(self, situation_id: str) -> Desk:
        desk = self._desks.get(situation_id)
        if desk is None:
            store = FactStore(self.db, situation_id, self.situations)
            renderer = BriefingRenderer(store, self.pages.env)
            desk = Desk(store, renderer, FactEditor(store, renderer), ForcesPhoto(renderer))
            self._desks[situation_id] = desk
        return desk

    async def current(self) -> Desk:
        """The desk of the situation readers get by default."""
        return self.get((await self.situations.current()).id)
