"""Read the facts store: the situation, its facts and claims, and the cables they cite."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from briefings.database import Database, RowLike
from briefings.facts.models import Cable, Claim, Fact
from briefings.facts.values import Value
from briefings.situations import Situation, Situations
from briefings.stamp import stamp_to_keep

DEFAULT_SITUATION = "belarus-ukraine-border-2024"


@dataclass(frozen=True, slots=True)
class FactsNow:
    """Everything the briefings and the chart are made of, read once."""

    situation: Situation
    facts: list[Fact]
    claims: list[Claim]
    cables: list[Cable]


class FactStore:
    """The facts of one situation, read fresh from SQLite on every call (what they are
    rendered into is kept by the stamp of the content: briefings/stamp.py)."""

    def __init__(
        self,
        db: Database,
        situation_id: str = DEFAULT_SITUATION,
        situations: Situations | None = None,
    ) -> None:
        self.db = db
        self.situation_id = situation_id
        self.situations = situations or Situations(db)
        self._content: tuple[int, int] | None = None  # (stamp, content version) read last

    async def content_version(self) -> int:
        """The situation's content version (briefings/facts/changes.py): its last history
        row's id, 0 before any; read once per stamp of the content (briefings/stamp.py)."""
        stamp = await stamp_to_keep(self.db)
        if stamp is not None and self._content is not None and self._content[0] == stamp:
            return self._content[1]
        # Peeked on the loop's thread: every reader's briefing asks, after every change.
        found = int(await self.db.peek(
            "SELECT id FROM changes WHERE situation_id = ? ORDER BY id DESC LIMIT 1",
            (self.situation_id,),
        ) or 0)  # fmt: skip
        if stamp is not None and (self._content is None or self._content[0] < stamp):
            self._content = (stamp, found)
        return found

    async def now(self) -> FactsNow:
        """The situation, its live facts and claims, and its cables, as they are now."""
        cables = await self.cables()
        facts = await self.facts(cables=cables)
        claims = await self.claims(facts, cables)
        return FactsNow(await self.situation(), facts, claims, cables)

    async def situation(self) -> Situation:
        """The situation with its sides and sections, from the registry."""
        found = await self.situations.get(self.situation_id)
        if found is None:
            raise LookupError(f"no situation {self.situation_id!r} in the database")
        return found

    async def cables(self) -> list[Cable]:
        """Every cable of this situation, and every other its statements cite (drafts of a
        cable published into another situation than its own), oldest first."""
        rows = await self.db.fetch_all(
            "SELECT * FROM cables WHERE situation_id = ?1 OR id IN ("
            "SELECT source_cable_id FROM facts WHERE situation_id = ?1"
            " UNION SELECT source_cable_id FROM claims WHERE situation_id = ?1)"
            " ORDER BY published, id",
            (self.situation_id,),
        )
        return [_cable(row) for row in rows]

    async def facts(
        self, section: str | None = None, cables: list[Cable] | None = None
    ) -> list[Fact]:
        """The live (not retired) facts, of one section or all, in curated order.

        Pass the cables already read, where the caller has them, to read them once.
        """
        sql = "SELECT * FROM facts WHERE situation_id = ? AND retired_at IS NULL"
        params: list[Any] = [self.situation_id]
        if section is not None:
            sql += " AND section = ?"
            params.append(section)
        rows = await self.db.fetch_all(sql + " ORDER BY position, id", params)
        by_id = {c.id: c for c in (cables if cables is not None else await self.cables())}
        return [fact_from_row(row, by_id) for row in rows]

    async def claims(
        self, facts: list[Fact] | None = None, cables: list[Cable] | None = None
    ) -> list[Claim]:
        """The live claims, each with the live facts it cites as evidence.

        Pass the facts and cables already read, where the caller has them, to read them once.
        """
        rows = await self.db.fetch_all(
            "SELECT * FROM claims WHERE situation_id = ? AND retired_at IS NULL"
            " ORDER BY position, id",
            (self.situation_id,),
        )
        by_key = {fact.key: fact for fact in (facts if facts is not None else await self.facts())}
        by_id = {c.id: c for c in (cables if cables is not None else await self.cables())}
        return [claim_from_row(row, by_key, by_id) for row in rows]

    async def fact(self, key: str) -> Fact | None:
        """The live fact with this key, if there is one."""
        return next((fact for fact in await self.facts() if fact.key == key), None)

    async def claim(self, key: str) -> Claim | None:
        """The live claim with this key, if there is one."""
        return next((claim for claim in await self.claims() if claim.key == key), None)


def row_value(row: RowLike) -> Value | None:
    """Build the Value stored in a row's value columns (None where there is none)."""
    kind = row["value_kind"]
    if kind is None:
        return None
    return Value(
        kind=kind,
        low=row["value_low"],
        high=row["value_high"],
        text=row["value_text"],
        approx=bool(row["approx"]),
        unit=row["unit"],
        # Snapshots in the history from before the column existed have no value_given.
        given=row["value_given"] if "value_given" in row.keys() else None,  # noqa: SIM118
    )


def _cable(row: RowLike) -> Cable:
    return Cable(
        id=row["id"],
        title=row["title"],
        url=row["url"],
        url_is_post=bool(row["url_is_post"]),
        series=row["series"],
        subtitle=row["subtitle"],
        published=row["published"],
        published_label=row["published_label"],
        paid=bool(row["paid"]),
        dated_by=row["dated_by"],
    )


def fact_from_row(row: RowLike, cables: Mapping[str, Cable]) -> Fact:
    value = row_value(row)
    assert value is not None  # facts.value_kind is NOT NULL
    return Fact(
        key=row["key"],
        section=row["section"],
        label=row["label"],
        value=value,
        claimant=row["claimant"],
        as_of=row["as_of"],
        side=row["side"],
        note=row["note"],
        assessment=row["assessment"],
        source=cables.get(row["source_cable_id"]),
        source_url=row["source_url"],
        edited_by=row["edited_by"],
        position=row["position"],
        voice=row["voice"],
        quote=row["quote"],
        place=row["place"],
    )


def claim_from_row(row: RowLike, facts: Mapping[str, Fact], cables: Mapping[str, Cable]) -> Claim:
    keys = [key for key in row["evidence_keys"].split(",") if key]
    return Claim(
        key=row["key"],
        claimant=row["claimant"],
        claim=row["claim"],
        as_of=row["as_of"],
        value=row_value(row),
        verdict=row["verdict"],
        reasoning=row["reasoning"],
        evidence=tuple(facts[key] for key in keys if key in facts),
        source=cables.get(row["source_cable_id"]),
        source_url=row["source_url"],
        edited_by=row["edited_by"],
        position=row["position"],
        quote=row["quote"],
        verdict_by=row["verdict_by"],
        place=row["place"],
    )
