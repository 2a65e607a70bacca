"""Cables from the newsletter's feed (or an editor's /publish): stored once, by guid."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from briefings.cables.feed import FeedItem, canonical_url
from briefings.database import Database, RowLike, utc_now


@dataclass(frozen=True, slots=True)
class StoredCable:
    """A cable as the push needs it."""

    id: str
    guid: str | None
    title: str
    subtitle: str | None
    url: str
    teaser_html: str
    paid: bool
    origin: str
    published: str | None
    discovered_at: str | None
    pushed_at: str | None
    situation_id: str | None = None  # the situation it is attached to, if any
    rowid: int = 0  # its row, for a button that names it in 64 bytes


class CableStore:
    """Reads and writes cables. Writers run inside the caller's transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def known(self) -> KnownCables:
        """Every stored feed cable's identities, to tell a feed's new items from its known."""
        rows = await self.db.fetch_all(
            "SELECT id, guid, url, title, published FROM cables WHERE guid IS NOT NULL"
            " ORDER BY rowid"
        )
        return KnownCables(rows)

    async def move(self, moved: Moved) -> None:
        """A known cable now at another address: it takes the new link (and, found by its
        title and date, the feed's new guid). Nothing else changes: it is not pushed again."""
        await self.db.execute(
            "UPDATE cables SET url = ?, url_is_post = 1, guid = COALESCE(?, guid) WHERE id = ?",
            (moved.item.link, moved.new_guid, moved.cable_id),
        )

    async def insert(self, item: FeedItem, origin: str, *, pushed: bool) -> str | None:
        """Store a new cable; return its id, or None if its guid is already stored.

        A cable seeded from its preview (no post address, no feed identity) that the feed now
        lists under the same title is that cable: it takes the post's address, date and
        teaser, and no second cable is stored.
        """
        now = utc_now()
        seeded = await self._seeded_as(item.title)
        if seeded is not None:
            await self.db.execute(
                "UPDATE cables SET url = ?, url_is_post = 1, published = ?, dated_by = NULL,"
                " guid = ?, subtitle = COALESCE(?, subtitle), teaser_html = ?, origin = ?,"
                " discovered_at = ?, pushed_at = ? WHERE id = ?",
                (item.link, item.published or None, item.guid, item.subtitle, item.teaser_html,
                 origin, now, now if pushed else None, seeded),
            )  # fmt: skip
            return seeded
        cable_id = await self._free_id(item.slug)
        cursor = await self.db.execute(
            "INSERT INTO cables (id, title, subtitle, url, url_is_post, published, paid, guid,"
            " teaser_html, origin, discovered_at, pushed_at)"
            " VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (guid) DO NOTHING",
            (
                cable_id,
                item.title,
                item.subtitle,
                item.link,
                item.published,
                int(item.paid),
                item.guid,
                item.teaser_html,
                origin,
                now,
                now if pushed else None,
            ),
        )
        return cable_id if cursor.rowcount == 1 else None

    async def refresh(self, cable_id: str, item: FeedItem) -> None:
        """Take what a cable says (title, subtitle, link, teaser) from a new reading of it."""
        await self.db.execute(
            "UPDATE cables SET title = ?, subtitle = ?, url = ?, teaser_html = ?, paid = ?"
            " WHERE id = ?",
            (item.title, item.subtitle, item.link, item.teaser_html, int(item.paid), cable_id),
        )

    async def mark_pushed(self, cable_id: str) -> bool:
        """Mark a stored cable pushed; False if it already was (the once-only guarantee)."""
        cursor = await self.db.execute(
            "UPDATE cables SET pushed_at = ? WHERE id = ? AND pushed_at IS NULL",
            (utc_now(), cable_id),
        )
        return cursor.rowcount == 1

    async def by_address(self, url: str) -> StoredCable | None:
        """The stored cable at that address, however it was linked (canonical_url)."""
        wanted = canonical_url(url)
        rows = await self.db.fetch_all(
            "SELECT rowid, * FROM cables WHERE guid IS NOT NULL ORDER BY rowid"
        )
        for row in rows:
            if wanted in (canonical_url(row["guid"]), canonical_url(row["url"])):
                return _cable(row)
        return None

    async def attach(self, rowid: int, situation_id: str) -> StoredCable | None:
        """Attach the cable in that row to a situation (its /sources then list it)."""
        async with self.db.transaction():
            await self.db.execute(
                "UPDATE cables SET situation_id = ? WHERE rowid = ?", (situation_id, rowid)
            )
            return await self._one("SELECT rowid, * FROM cables WHERE rowid = ?", (rowid,))

    async def get(self, cable_id: str) -> StoredCable | None:
        return await self._one("SELECT rowid, * FROM cables WHERE id = ?", (cable_id,))

    async def latest(self, limit: int = 10, *, pushed_only: bool = False) -> list[StoredCable]:
        """The newest feed cables, newest first."""
        where = "guid IS NOT NULL" + (" AND pushed_at IS NOT NULL" if pushed_only else "")
        rows = await self.db.fetch_all(
            f"SELECT rowid, * FROM cables WHERE {where}"
            " ORDER BY discovered_at DESC, rowid DESC LIMIT ?",
            (limit,),
        )
        return [_cable(row) for row in rows]

    async def _seeded_as(self, title: str) -> str | None:
        """The seeded cable with this title, not yet known by a post address, if any."""
        rows = await self.db.fetch_all(
            "SELECT id, title FROM cables WHERE guid IS NULL AND url_is_post = 0"
        )
        wanted = same_title(title)
        return next((row["id"] for row in rows if same_title(row["title"]) == wanted), None)

    async def _free_id(self, slug: str) -> str:
        candidate, n = slug, 1
        while await self.get(candidate) is not None:
            n += 1
            candidate = f"{slug}-{n}"
        return candidate

    async def _one(self, sql: str, params: tuple[Any, ...]) -> StoredCable | None:
        row = await self.db.fetch_one(sql, params)
        return _cable(row) if row is not None else None


@dataclass(frozen=True, slots=True)
class Moved:
    """A feed item that is a stored cable at a new address (a newsletter's new domain)."""

    cable_id: str
    item: FeedItem
    new_guid: str | None  # the feed's new guid, where the cable was found by title and date


class KnownCables:
    """The stored feed cables, indexed by what identifies a post: its guid (feedparser's
    `id`) or address, however linked, and then its title and date."""

    def __init__(self, rows: Sequence[RowLike]) -> None:
        self._by_guid: dict[str, str] = {}
        self._by_address: dict[str, str] = {}
        self._address_of: dict[str, str] = {}
        self._by_title_date: dict[tuple[str, str], list[str]] = {}
        for row in rows:
            cable_id, guid, url = row["id"], row["guid"], row["url"]
            for key in (guid, canonical_url(guid)):
                self._by_guid.setdefault(key, cable_id)
            for key in (guid, url, canonical_url(guid), canonical_url(url)):
                self._by_address.setdefault(key, cable_id)
            self._address_of[cable_id] = canonical_url(url)
            if row["published"]:
                key = (same_title(row["title"]), row["published"])
                self._by_title_date.setdefault(key, []).append(cable_id)

    def sort(self, items: list[FeedItem]) -> tuple[list[FeedItem], list[Moved]]:
        """The feed's items that are new cables, and those that are known cables at a new
        address; the rest are known where they were (edited, re-dated: nothing to do)."""
        found: set[str] = set()
        moved: list[Moved] = []
        unknown: list[FeedItem] = []
        for item in items:
            cable_id = self._by_guid.get(item.guid) or self._by_guid.get(canonical_url(item.guid))
            if cable_id is not None:
                if cable_id not in found and self._address_of[cable_id] != canonical_url(
                    item.link
                ):
                    moved.append(Moved(cable_id, item, None))
                found.add(cable_id)
                continue
            cable_id = next(
                (self._by_address[key] for key in (canonical_url(item.guid),
                 canonical_url(item.link)) if key in self._by_address),
                None,
            )  # fmt: skip
            if cable_id is not None:
                found.add(cable_id)
            else:
                unknown.append(item)
        # By title and date, only a cable the feed no longer lists where it was: a post that
        # moved left its old address, while a new post may share a title ("Open thread").
        new: list[FeedItem] = []
        for item in unknown:
            candidates = self._by_title_date.get((same_title(item.title), item.published or ""))
            cable_id = next((c for c in candidates or () if c not in found), None)
            if cable_id is None:
                new.append(item)
            else:
                found.add(cable_id)
                moved.append(Moved(cable_id, item, item.guid))
        return new, moved


_TITLE_NOISE = re.compile(r"[\W_]+")


def same_title(title: str) -> str:
    """A title as compared: case, quotes, dashes, spaces and end punctuation left out."""
    return _TITLE_NOISE.sub(" ", unicodedata.normalize("NFKC", title).casefold()).strip()


def _cable(row: RowLike) -> StoredCable:
    return StoredCable(
        id=row["id"],
        guid=row["guid"],
        title=row["title"],
        subtitle=row["subtitle"],
        url=row["url"],
        teaser_html=row["teaser_html"] or "",
        paid=bool(row["paid"]),
        origin=row["origin"],
        published=row["published"],
        discovered_at=row["discovered_at"],
        pushed_at=row["pushed_at"],
        situation_id=row["situation_id"],
        rowid=row["rowid"],
    )
