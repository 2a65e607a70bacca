"""Situations as data: each one's sides and sections, which one readers get by default, and
new ones editors create. One registry serves the renderer, the commands, menus and the chart."""

from __future__ import annotations

import re
from dataclasses import dataclass

from briefings.database import Database
from briefings.stamp import situations_stamp

# A slug: how readers and editors name a situation (/brief <slug>, deep links).
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,39}")
SECTION_KINDS = ("brief", "figures", "claims", "topic", "sources")
# Facts live in a situation's figures and topic sections, and in these three, which the brief
# reads: its bottom line, the news, and what the free preview leaves open.
BRIEF_PARTS = ("bottom_line", "news", "open")
_CURRENT = "current_situation"


@dataclass(frozen=True, slots=True)
class Side:
    """A party to the situation: facts are grouped under it in figure sections."""

    key: str
    label: str
    words: tuple[str, ...] = ()  # label words that place a new fact with this side


@dataclass(frozen=True, slots=True)
class Section:
    """A briefing readers can ask for by name (/forces) or by button."""

    name: str
    button: str
    summary: str
    kind: str = "topic"
    title: str = ""
    offers_trial: bool = False


@dataclass(frozen=True, slots=True)
class Situation:
    id: str
    title: str
    period: str
    sides: tuple[Side, ...] = ()
    sections: tuple[Section, ...] = ()

    def section(self, name: str) -> Section | None:
        return next((section for section in self.sections if section.name == name), None)

    @property
    def fact_sections(self) -> tuple[str, ...]:
        """Where editors may put facts: figure and topic sections, and the brief's parts."""
        own = tuple(s.name for s in self.sections if s.kind in ("figures", "topic"))
        return (*own, *BRIEF_PARTS)

    def side_of(self, label: str) -> str | None:
        """The side a label names, if it names exactly one."""
        lowered = label.lower()
        found = {side.key for side in self.sides if any(w in lowered for w in side.words)}
        return found.pop() if len(found) == 1 else None


# What a situation an editor creates from the chat starts with; its topics come as data.
DEFAULT_SECTIONS: tuple[Section, ...] = (
    Section("brief", "📋 Brief", "The whole picture in one message", "brief", "Brief"),
    Section("forces", "🪖 Forces", "Troop counts, who says so and as of when", "figures",
            "Forces"),
    Section("claims", "⚖️ Claims", "What each side claims, against what the evidence says",
            "claims", "Claims and the evidence"),
    Section("sources", "📚 Sources", "The cables these facts come from", "sources", "Sources"),
)  # fmt: skip


class Situations:
    """The registry: read from the database, kept while its stamp is the same."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # The situations and the editors' choice of current one ("" when they made none), with
        # the stamp they were read at: every reader's command asks for both.
        self._kept: tuple[int, tuple[Situation, ...], str] | None = None
        # Every section name of every situation, as last read: each reader's command asks.
        self._names: frozenset[str] = frozenset()

    async def all(self) -> tuple[Situation, ...]:
        return (await self._read_kept())[0]

    def section_names(self) -> frozenset[str]:
        """Every section name of every situation, as last read (empty before the first)."""
        return self._names

    async def get(self, situation_id: str) -> Situation | None:
        return next((s for s in await self.all() if s.id == situation_id), None)

    async def current(self) -> Situation:
        """What readers get when they name none: the editors' choice, else the first."""
        situations, chosen = await self._read_kept()
        if not situations:
            raise LookupError("no situation in the database")
        return next((s for s in situations if s.id == chosen), situations[0])

    async def set_current(self, situation_id: str) -> None:
        await self._put(_CURRENT, situation_id)

    async def working(self, editor_id: int) -> Situation:
        """The situation an editor works in (the current one until they choose)."""
        chosen = await self.db.fetch_value(
            "SELECT value FROM app_state WHERE key = ?", (f"editor:{editor_id}",)
        )
        return (await self.get(chosen) if chosen else None) or await self.current()

    async def set_working(self, editor_id: int, situation_id: str) -> None:
        await self._put(f"editor:{editor_id}", situation_id)

    async def create(self, situation_id: str, title: str, period: str) -> Situation:
        """A new situation with the default sections and no sides (slug checked by caller)."""
        async with self.db.transaction():
            await self.db.execute(
                "INSERT INTO situations (id, title, period) VALUES (?, ?, ?)",
                (situation_id, title, period),
            )
            for position, section in enumerate(DEFAULT_SECTIONS):
                await self.db.execute(
                    "INSERT INTO situation_sections (situation_id, name, kind, button, title,"
                    " summary, offers_trial, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (situation_id, section.name, section.kind, section.button,
                     section.title, section.summary, int(section.offers_trial), position),
                )  # fmt: skip
        created = await self.get(situation_id)
        assert created is not None
        return created

    async def _put(self, key: str, value: str) -> None:
        async with self.db.transaction():
            await self.db.execute(
                "INSERT INTO app_state (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    async def _read_kept(self) -> tuple[tuple[Situation, ...], str]:
        stamp = await situations_stamp(self.db)
        if self._kept is not None and self._kept[0] == stamp:
            return self._kept[1], self._kept[2]
        situations = await self._read()
        chosen = await self.db.fetch_value(
            "SELECT value FROM app_state WHERE key = ?", (_CURRENT,)
        )
        # Not what a transaction read, which may yet roll back.
        if not self.db.in_transaction and (self._kept is None or self._kept[0] < stamp):
            self._kept = (stamp, situations, chosen or "")
            self._names = frozenset(s.name for sit in situations for s in sit.sections)
        return situations, chosen or ""

    async def _read(self) -> tuple[Situation, ...]:
        rows = await self.db.fetch_all("SELECT * FROM situations ORDER BY rowid")
        sides = await self.db.fetch_all("SELECT * FROM situation_sides ORDER BY position")
        sections = await self.db.fetch_all("SELECT * FROM situation_sections ORDER BY position")
        return tuple(
            Situation(
                id=row["id"],
                title=row["title"],
                period=row["period"],
                sides=tuple(
                    Side(s["key"], s["label"], tuple(w for w in s["words"].split(",") if w))
                    for s in sides
                    if s["situation_id"] == row["id"]
                ),
                sections=tuple(
                    Section(
                        s["name"],
                        s["button"],
                        s["summary"],
                        s["kind"],
                        s["title"],
                        bool(s["offers_trial"]),
                    )
                    for s in sections
                    if s["situation_id"] == row["id"]
                ),
            )
            for row in rows
        )
