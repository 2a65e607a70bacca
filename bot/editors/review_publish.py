"""Publishing a cable's accepted drafts: live at once, as one change (one /history entry,
one /undo), into the situation they go into, a new one made from the cable by default.

Everything lands in one transaction: the new situation, the cable attached, the drafts marked
published, and the statements with their history. A briefing that would grow past Telegram's
limit refuses the whole of it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.context import BotContext
from bot.editors.situations import SUBCOMMANDS, TITLE_LIMIT
from briefings.cables.store import StoredCable
from briefings.drafting.review import draft_row
from briefings.drafting.store import ACCEPTED, DraftStore
from briefings.facts.editing import Change, Editor, make_key
from briefings.facts.editor_input import InputError
from briefings.facts.models import Cable
from briefings.rendering.renderer import format_as_of
from briefings.rendering.shorten import shorten
from briefings.situations import SLUG, Situation

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Published:
    situation: Situation
    change: Change
    created: bool  # a new situation, made from the cable


class SituationRemoved(InputError):
    """The situation a cable's drafts go into is no longer there."""

    def __init__(self, situation_id: str) -> None:
        super().__init__(situation_id)
        self.situation_id = situation_id


async def living_situation(context: BotContext, situation_id: str | None) -> Situation | None:
    """The situation drafts go into (None: a new one); SituationRemoved if it is gone. Read
    from the database itself: the registry may still hold a removed one."""
    if situation_id is None:
        return None
    there = await context.services.db.fetch_value(
        "SELECT 1 FROM situations WHERE id = ?", (situation_id,)
    )
    found = await context.situations.get(situation_id) if there else None
    if found is None:
        raise SituationRemoved(situation_id)
    return found


async def publish_accepted(
    context: BotContext, drafts: DraftStore, cable: StoredCable, editor: Editor
) -> Published:
    """Make the cable's accepted drafts live, as one change; InputError says why not."""
    accepted = await drafts.of_cable(cable.id, ACCEPTED)
    if not accepted:
        raise InputError("nothing accepted to publish")
    target = await living_situation(context, accepted[0].situation_id)
    db, registry = context.services.db, context.situations
    now = datetime.now(UTC)
    async with db.transaction():
        situation = target or await registry.create(
            await _free_slug(context, cable), _title(cable), _period(cable)
        )
        if cable.situation_id is None:
            await context.cables.attach(cable.rowid, situation.id)
        desk = context.desks.get(situation.id)
        as_of = cable.published or now.date().isoformat()
        rows = [(*draft_row(stored.draft, situation, cable.id, editor.name,
                            stored.draft.as_of or as_of, now.isoformat(timespec="seconds")),
                 stored.draft.changes) for stored in accepted]  # fmt: skip
        ids = [stored.id for stored in accepted]
        await drafts.mark_published(ids, situation.id)
        # Last, so that the briefings it checks are those of what lands.
        change = await desk.editor.add_batch(rows, editor)
        await drafts.published_in(ids, change.id)  # an /undo of it gives them back
    await registry.set_working(editor.id, situation.id)  # so /undo and /history find it
    log.info("drafts published cable=%s situation=%s change=%d statements=%d editor=%d",
             cable.id, situation.id, change.id, change.size, editor.id)  # fmt: skip
    return Published(situation, change, created=target is None)


def model_cable(cable: StoredCable) -> Cable:
    """The stored cable as the briefings cite it."""
    return Cable(id=cable.id, title=cable.title, url=cable.url, url_is_post=True,
                 subtitle=cable.subtitle, published=cable.published, paid=cable.paid)  # fmt: skip


async def _free_slug(context: BotContext, cable: StoredCable) -> str:
    """A slug from the cable's title ("belarus-accumulates-troops-near-ukraine"), one no
    situation has."""
    base = make_key(cable.title).replace("_", "-")
    if not SLUG.fullmatch(base) or base in SUBCOMMANDS:
        base = "cable"
    slug, n = base, 1
    while await context.services.db.fetch_value("SELECT 1 FROM situations WHERE id = ?", (slug,)):
        n += 1
        slug = f"{base[: 39 - len(str(n))].rstrip('-')}-{n}"
    return slug


def _title(cable: StoredCable) -> str:
    return shorten(" ".join(cable.title.split()), TITLE_LIMIT) or "A new cable"


def _period(cable: StoredCable) -> str:
    return format_as_of(cable.published) if cable.published else ""
