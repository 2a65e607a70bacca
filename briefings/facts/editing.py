"""Editors' changes to facts and claims: each one transaction with its history row.

Every change stores full before/after snapshots of the row, so any change can be shown and
undone. A change that would push a briefing past Telegram's limits is refused and rolled back.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

from briefings.database import RowLike
from briefings.facts.editor_input import (
    CLAIM_FIELDS,
    ClaimDraft,
    FactDraft,
    InputError,
    clean_text,
    parse_source_url,
    parse_value,
)
from briefings.facts.models import Claim, Fact
from briefings.facts.store import FactsNow, FactStore, claim_from_row, fact_from_row, row_value
from briefings.facts.values import Value, value_columns
from briefings.rendering.renderer import Briefing, BriefingRenderer, BriefingTooLong
from briefings.situations import Situation

Kind = Literal["fact", "claim"]
_TABLES: dict[Kind, str] = {"fact": "facts", "claim": "claims"}


@dataclass(frozen=True, slots=True)
class Editor:
    id: int
    name: str
    update_id: int | None = None  # the Telegram update the change came in, where known


@dataclass(frozen=True, slots=True)
class Change:
    """One row of the history."""

    id: int
    kind: Kind
    key: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    editor_id: int
    editor_name: str | None
    changed_at: str
    undoes: int | None = None
    # Statements changed at once (a publish of drafts): the batch is its first row's id, and
    # /history shows it, and /undo reverts it, as one change of `size` statements.
    batch: int | None = None
    size: int = 1

    @property
    def before_value(self) -> Value | None:
        return row_value(self.before) if self.before else None

    @property
    def after_value(self) -> Value | None:
        return row_value(self.after) if self.after else None


@dataclass
class FactEditor:
    """Writes editors' changes to one situation's facts and claims."""

    store: FactStore
    renderer: BriefingRenderer
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # Every briefing as the change in progress leaves it (see _writing).
    _checked: tuple[int, FactsNow, list[Briefing]] | None = field(
        default=None, init=False, repr=False
    )

    def today(self) -> date:
        return self.clock().date()

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[None]:
        """One write transaction (its triggers raise the content's stamp: briefings/stamp.py).

        A change that lands leaves the briefings its check rendered as those of its stamp:
        they are what readers would render next. One made inside a caller's transaction has
        not landed when it ends (the caller's may yet roll back): nothing is kept.
        """
        try:
            async with self.store.db.transaction():
                self._checked = None  # set by this change's own check, under the write lock
                yield
            if self._checked is not None and not self.store.db.in_transaction:
                self.renderer.remember(*self._checked)
        finally:
            self._checked = None

    # ------------------------------------------------------------------ facts
    async def set_value(
        self,
        key: str,
        value: Value,
        editor: Editor,
        *,
        source_url: str | None = None,
        as_of: str | None = None,
        said_by: str | None = None,
    ) -> Change:
        """Change a live fact's value; the as-of date becomes today unless one is given.

        The new value is the editors' (with their link), or said_by's where the editor names
        who says so. What the old value rested on (the cable's words, its notes) is not
        carried over: it stays in the history.
        """
        situation = await self.store.situation()
        async with self._writing():
            before = await self._row("fact", key)
            if before is None or before["retired_at"] is not None:
                raise InputError(f"there is no live fact {key!r}: /facts lists the keys")
            if said_by is not None and _side_speaks(said_by, situation):
                # A side's number is its claim (docs/EDITORIAL.md, rule 3): the figure stays.
                draft = ClaimDraft(
                    claimant=said_by.strip(), claim=_unquoted(before["label"]),
                    as_of=as_of or self.today().isoformat(), value=value, source_url=source_url,
                )  # fmt: skip
                kind, row = statement_row(draft, situation, editor.name, self._now())
                return await self._add(kind, row, editor)
            after = dict(before)
            after.update(value_columns(value))
            after.update(
                as_of=as_of or self.today().isoformat(),
                source_url=source_url,
                source_cable_id=None,  # the cable no longer vouches for the new value
                edited_by=editor.name,
                updated_at=self._now(),
                **statement_voice(said_by),
                quote=None,
                note=None,
                assessment=None,
                # The cable's words in the label belonged to the old value.
                label=_unquoted(before["label"]),
            )
            return await self._record("fact", key, "set", before, after, editor)

    async def add_fact(self, draft: FactDraft, editor: Editor) -> Change:
        """Add a new fact under a key made from its label; a side's figure is its claim."""
        situation = await self.store.situation()
        if draft.section not in situation.fact_sections:
            raise InputError(f"facts go in one of: {', '.join(situation.fact_sections)}")
        async with self._writing():
            kind, row = statement_row(draft, situation, editor.name, self._now())
            return await self._add(kind, row, editor)

    async def preview(self, draft: FactDraft | ClaimDraft, editor_name: str) -> Fact | Claim:
        """The statement a draft would save, as readers would get it: built by the same code
        that saves it, so the preview and the saved line cannot differ."""
        kind, row = statement_row(draft, await self.store.situation(), editor_name, self._now())
        if kind == "claim":
            return claim_from_row(row, {}, {})
        return fact_from_row(row, {})

    async def _add(self, kind: Kind, row: dict[str, Any], editor: Editor) -> Change:
        """Insert a new statement row under a fresh key and position (inside _writing)."""
        key = await self._new_key(row.pop("key"))
        row = {"key": key, **row, "position": await self._next_position(kind)}
        return await self._record(kind, key, "add", None, row, editor)

    async def retire(self, key: str, editor: Editor) -> Change:
        """Take a fact or claim out of the briefings; its row and history stay."""
        async with self._writing():
            kind: Kind
            for kind in ("fact", "claim"):
                before = await self._row(kind, key)
                if before is not None and before["retired_at"] is None:
                    after = dict(before, retired_at=self._now(), updated_at=self._now())
                    return await self._record(kind, key, "retire", before, after, editor)
            raise InputError(f"there is no live fact or claim {key!r}: /facts lists the keys")

    # ------------------------------------------------------------------ claims
    async def add_claim(self, draft: ClaimDraft, editor: Editor) -> Change:
        async with self._writing():
            kind, row = statement_row(draft, await self.store.situation(), editor.name,
                                      self._now())  # fmt: skip
            return await self._add(kind, row, editor)

    async def edit_claim(self, key: str, field_name: str, raw: str, editor: Editor) -> Change:
        """Change one field of a live claim (see CLAIM_FIELDS)."""
        if field_name not in CLAIM_FIELDS:
            raise InputError(f"a claim's fields are: {', '.join(CLAIM_FIELDS)}")
        async with self._writing():
            before = await self._row("claim", key)
            if before is None or before["retired_at"] is not None:
                raise InputError(f"there is no live claim {key!r}: /facts claims lists them")
            after = dict(before, edited_by=editor.name, updated_at=self._now())
            after.update(_claim_field(field_name, raw, row_value(before)))
            if field_name in ("verdict", "reasoning"):
                # The verdict (and the reasoning behind it) is now the editors'.
                after["verdict_by"] = "editors" if after["verdict"] else None
            if field_name == "verdict" and after["verdict"] != before["verdict"]:
                # The reasoning and evidence were for the old verdict: they stay in the history.
                after.update(reasoning=None, evidence_keys="")
            elif field_name != "source":
                # What the claim says changed: the cable's words no longer fit it.
                after.update(source_cable_id=None, quote=None)
            after["as_of"] = self.today().isoformat()
            return await self._record("claim", key, "edit", before, after, editor)

    async def add_batch(
        self, rows: list[tuple[Kind, dict[str, Any], str | None]], editor: Editor
    ) -> Change:
        """Add new statements (rows as statement_row makes them) as one change: one entry in
        /history, reverted by one /undo. A row that names a live statement's key (its third
        part) gives that statement its new value, words and source instead of being added.
        Runs inside the caller's transaction, if any."""
        if not rows:
            raise InputError("there is nothing to add")
        async with self._writing():
            if editor.update_id is not None:
                made = await self.store.db.fetch_value(
                    "SELECT id FROM changes WHERE update_id = ?", (editor.update_id,)
                )
                if made is not None:
                    return await self._batch_change(int(made))
            batch: int | None = None
            for kind, row, replaces in rows:
                before = await self._row(kind, replaces) if replaces else None
                if replaces and before is not None and before["retired_at"] is None:
                    after = dict(before)
                    after.update({column: row[column] for column in _REPLACED if column in row})
                    await self._apply(kind, replaces, before, after)
                    action = "set" if kind == "fact" else "edit"
                    batch = await self._insert_change(kind, replaces, action, before, after,
                                                      editor, batch)  # fmt: skip
                    continue
                key = await self._new_key(row.pop("key"))
                row = {"key": key, **row, "position": await self._next_position(kind)}
                await self._apply(kind, key, None, row)
                batch = await self._insert_change(kind, key, "add", None, row, editor, batch)
            assert batch is not None
            await self._check_briefings_fit()
            return await self._batch_change(batch)

    # ------------------------------------------------------------------ undo and history
    async def undo(self, editor: Editor) -> Change:
        """Revert the editor's own last change that is not yet undone (a batch as a whole)."""
        async with self._writing():
            target = await self._last_undoable(editor.id)
            if target is None:
                raise InputError("you have no change left to undo")
            if target.batch is not None:
                return await self._undo_batch(target.batch, editor)
            current = await self._row(target.kind, target.key)
            if current != target.after:
                raise InputError(
                    f"{target.key!r} has changed since your change #{target.id} "
                    "(see /history): undo refused so nobody's later work is lost"
                )
            return await self._record(
                target.kind, target.key, "undo", current, target.before, editor, undoes=target.id
            )

    async def history(self, key: str | None = None, limit: int = 15) -> list[Change]:
        """The latest changes, newest first, of one key or of everything (where a batch is
        one change, shown by its first row)."""
        params: list[Any] = [self.store.situation_id]
        if key is not None:
            sql = "SELECT * FROM changes WHERE situation_id = ? AND key = ?"
            params.append(key)
        else:
            sql = (f"SELECT *, {_BATCH_SIZE} FROM changes c WHERE situation_id = ?"
                   " AND (batch IS NULL OR batch = id)")  # fmt: skip
        sql += " ORDER BY id DESC LIMIT ?"
        params.append(limit)
        return [_change(row) for row in await self.store.db.fetch_all(sql, params)]

    async def change(self, change_id: int) -> Change:
        row = await self.store.db.fetch_one("SELECT * FROM changes WHERE id = ?", (change_id,))
        assert row is not None
        return _change(row)

    async def _batch_change(self, batch: int) -> Change:
        """A batch as one change: its first row, with the number of statements."""
        row = await self.store.db.fetch_one(
            f"SELECT *, {_BATCH_SIZE} FROM changes c WHERE id = ?", (batch,)
        )
        assert row is not None
        return _change(row)

    async def _undo_batch(self, batch: int, editor: Editor) -> Change:
        """Revert every statement of a batch, recorded as one batch of undos (inside
        _writing); refused, whole, if any of them changed since."""
        if editor.update_id is not None:  # the same /undo handled again: done already
            made = await self.store.db.fetch_value(
                "SELECT id FROM changes WHERE update_id = ?", (editor.update_id,)
            )
            if made is not None:
                return await self._batch_change(int(made))
        rows = await self.store.db.fetch_all(
            "SELECT * FROM changes WHERE batch = ? ORDER BY id", (batch,)
        )
        targets = [_change(row) for row in rows]
        for target in targets:
            if await self._row(target.kind, target.key) != target.after:
                raise InputError(
                    f"{target.key!r} has changed since your change #{batch} (see /history): "
                    "undo refused so nobody's later work is lost"
                )
        undo_batch: int | None = None
        for target in targets:
            await self._apply(target.kind, target.key, target.after, target.before)
            undo_batch = await self._insert_change(
                target.kind, target.key, "undo", target.after, target.before, editor,
                undo_batch, undoes=target.id,
            )  # fmt: skip
        assert undo_batch is not None
        await self._check_briefings_fit()
        return await self._batch_change(undo_batch)

    # ------------------------------------------------------------------ internals
    async def _record(
        self,
        kind: Kind,
        key: str,
        action: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        editor: Editor,
        *,
        undoes: int | None = None,
    ) -> Change:
        """Write the row change and its history row, then check every briefing still fits.

        Runs inside the caller's transaction: raising here rolls both writes back. The same
        update handled again (after a hard kill) finds its change made, and makes no other.
        """
        if editor.update_id is not None:
            made = await self.store.db.fetch_value(
                "SELECT id FROM changes WHERE update_id = ?", (editor.update_id,)
            )
            if made is not None:
                return await self.change(int(made))
        await self._apply(kind, key, before, after)
        change_id = await self._insert_change(kind, key, action, before, after, editor, None,
                                              undoes=undoes, batched=False)  # fmt: skip
        await self._check_briefings_fit()
        return await self.change(change_id)

    async def _insert_change(
        self,
        kind: Kind,
        key: str,
        action: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        editor: Editor,
        batch: int | None,
        *,
        undoes: int | None = None,
        batched: bool = True,
    ) -> int:
        """Write one history row; batched, it joins batch (or starts one: the batch is its
        first row's id, which alone keeps the update's id). Returns the row's id, or the
        batch's."""
        cursor = await self.store.db.execute(
            "INSERT INTO changes (situation_id, kind, key, action, before_json, after_json,"
            " editor_id, editor_name, changed_at, undoes, update_id, batch)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self.store.situation_id,
                kind,
                key,
                action,
                _dump(before),
                _dump(after),
                editor.id,
                editor.name,
                self._now(),
                undoes,
                editor.update_id if batch is None else None,
                batch,
            ),
        )
        change_id = cursor.lastrowid
        assert change_id is not None
        if batched and batch is None:
            await self.store.db.execute("UPDATE changes SET batch = id WHERE id = ?", (change_id,))
            return change_id
        return batch if batched and batch is not None else change_id

    async def _apply(
        self, kind: Kind, key: str, before: dict[str, Any] | None, after: dict[str, Any] | None
    ) -> None:
        table = _TABLES[kind]
        where = "situation_id = ? AND key = ?"
        if after is None:
            await self.store.db.execute(
                f"DELETE FROM {table} WHERE {where}", (self.store.situation_id, key)
            )
        elif before is None:
            columns = ", ".join(after)
            marks = ", ".join("?" for _ in after)
            await self.store.db.execute(
                f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(after.values())
            )
        else:
            assignments = ", ".join(f"{column} = ?" for column in after)
            await self.store.db.execute(
                f"UPDATE {table} SET {assignments} WHERE {where}",
                (*after.values(), self.store.situation_id, key),
            )

    async def _check_briefings_fit(self) -> None:
        try:
            self._checked = await self.renderer.render_all()
        except BriefingTooLong as exc:
            raise InputError(
                f"that would make the /{exc.section} briefing {exc.length:,} characters, "
                "over Telegram's limit of 4,096: shorten it or retire something"
            ) from None

    async def _row(self, kind: Kind, key: str) -> dict[str, Any] | None:
        row = await self.store.db.fetch_one(
            f"SELECT * FROM {_TABLES[kind]} WHERE situation_id = ? AND key = ?",
            (self.store.situation_id, key),
        )
        if row is None:
            return None
        snapshot = dict(row)
        snapshot.pop("id")
        return snapshot

    async def _last_undoable(self, editor_id: int) -> Change | None:
        row = await self.store.db.fetch_one(
            "SELECT * FROM changes c WHERE situation_id = ? AND editor_id = ?"
            " AND action != 'undo' AND NOT EXISTS (SELECT 1 FROM changes u WHERE u.undoes = c.id)"
            " ORDER BY id DESC LIMIT 1",
            (self.store.situation_id, editor_id),
        )
        return _change(row) if row is not None else None

    async def _new_key(self, text: str) -> str:
        base = make_key(text)
        key, n = base, 1
        while (
            await self._row("fact", key) is not None or await self._row("claim", key) is not None
        ):
            n += 1
            key = f"{base}_{n}"
        return key

    async def _next_position(self, kind: Kind) -> int:
        row = await self.store.db.fetch_one(
            f"SELECT COALESCE(MAX(position), -1) + 1 FROM {_TABLES[kind]} WHERE situation_id = ?",
            (self.store.situation_id,),
        )
        return int(row[0]) if row else 0

    def _now(self) -> str:
        return self.clock().isoformat(timespec="seconds")


_EDITORS = {"editors", "the editors", "editor", "us", "we", "me"}


def statement_voice(said_by: str | None) -> dict[str, str]:
    """The voice columns of an editor's statement: the editors' own, or someone they name."""
    if said_by is None or said_by.strip().lower() in _EDITORS:
        return {"voice": "editors", "claimant": "The editors"}
    return {"voice": "cited", "claimant": said_by.strip()}


# Words a key never ends on: "belarusian_tanks_at_the" reads as cut mid-phrase.
_KEY_TAIL_WORDS = frozenset({
    "a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or", "the",
    "to", "with", "its", "their", "his", "her",
})  # fmt: skip
_KEY_LENGTH = 40


def make_key(text: str) -> str:
    """A short snake_case key from the first words of a label, whole words only and never
    ending on a word such as "the": "belarusian_tanks_at_the_border"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words: list[str] = []
    for word in re.findall(r"[a-z0-9]+", ascii_text):
        if len("_".join([*words, word])) > _KEY_LENGTH:
            break
        words.append(word)
    while words and words[-1] in _KEY_TAIL_WORDS:
        words.pop()
    return "_".join(words) or "item"


_QUOTED_FRAGMENT = re.compile(r"\s*\(?“[^”]*”\)?")


def _unquoted(label: str) -> str:
    """A label without the cable's quoted words: they belong to a value, not to its label."""
    return _QUOTED_FRAGMENT.sub("", label).strip() or label


def statement_row(
    draft: FactDraft | ClaimDraft, situation: Situation, editor_name: str, now: str
) -> tuple[Kind, dict[str, Any]]:
    """The row an editor's new statement is saved as, its key still the text to make one from.

    A figure credited to a side of the situation is that side's claim (docs/EDITORIAL.md,
    rule 3); anything else an editor adds is theirs, or of whoever they name (per the editors).
    """
    if isinstance(draft, FactDraft) and _side_speaks(draft.claimant, situation):
        draft = ClaimDraft(claimant=draft.claimant, claim=draft.label, as_of=draft.as_of,
                           value=draft.value, source_url=draft.source_url)  # fmt: skip
    common = {
        "situation_id": situation.id,
        **value_columns(draft.value),
        "quote": None,
        "source_cable_id": None,
        "source_url": draft.source_url,
        "as_of": draft.as_of,
        "position": 0,
        "retired_at": None,
        "updated_at": now,
        "edited_by": editor_name,
        "place": None,
    }
    if isinstance(draft, ClaimDraft):
        return "claim", {
            "key": f"{draft.claimant} {draft.claim}",
            "claimant": draft.claimant,
            "claim": draft.claim,
            "verdict": draft.verdict,
            "verdict_by": "editors" if draft.verdict else None,
            "reasoning": draft.reasoning,
            "evidence_keys": "",
            **common,
        }
    return "fact", {
        "key": draft.label,
        "section": draft.section,
        "side": draft.side or situation.side_of(draft.label),
        "label": _unquoted(draft.label),
        **statement_voice(draft.claimant),
        "note": None,
        "assessment": None,
        **common,
    }


def _side_speaks(name: str, situation: Situation) -> bool:
    """Whether a name an editor credits is a side of the situation ("Ukraine's General
    Staff"), rather than the editors or someone else they cite."""
    return name.strip().lower() not in _EDITORS and situation.side_of(name) is not None


def _claim_field(field_name: str, raw: str, current: Value | None) -> dict[str, Any]:
    if field_name == "figure":
        return value_columns(parse_value(raw, current))
    if field_name == "source":
        return {"source_url": parse_source_url(raw), "source_cable_id": None}
    if field_name in ("verdict", "reasoning") and raw.strip() == "-":
        return {field_name: None}  # "-" clears: the source gives none
    return {field_name: clean_text(raw, field_name)}


def _dump(snapshot: Mapping[str, Any] | None) -> str | None:
    return json.dumps(snapshot, ensure_ascii=False, sort_keys=True) if snapshot else None


# What a drafted statement gives the live one it changes: its value, words, voice and source.
_REPLACED = (
    "value_kind", "value_low", "value_high", "value_text", "approx", "unit", "value_given",
    "quote", "source_cable_id", "source_url", "as_of", "updated_at", "edited_by", "voice",
    "claimant", "note", "assessment",
)  # fmt: skip
# The number of statements in a row's batch (1 for a change of one), as the column size.
_BATCH_SIZE = "(SELECT COUNT(*) FROM changes b WHERE b.batch = c.batch) AS size"


def _change(row: RowLike) -> Change:
    keys = row.keys()
    return Change(
        id=row["id"],
        kind=row["kind"],
        key=row["key"],
        action=row["action"],
        before=json.loads(row["before_json"]) if row["before_json"] else None,
        after=json.loads(row["after_json"]) if row["after_json"] else None,
        editor_id=row["editor_id"],
        editor_name=row["editor_name"],
        changed_at=row["changed_at"],
        undoes=row["undoes"],
        batch=row["batch"],
        size=max(1, row["size"]) if "size" in keys else 1,
    )
