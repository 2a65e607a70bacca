""" "Since you last looked": a section opened, for a reader who read an earlier version of its
situation, by what changed since (at most LEAD_LINES lines, the latest). A reader who never
read the situation gets none; once shown, a change is not shown again."""

from __future__ import annotations

from bot.desks import Desk
from bot.stats.last_seen import LastSeen
from briefings.facts.changes import changes
from briefings.rendering.renderer import Briefing, credit_of

LEAD_LINES = 3


async def opened_for(
    reader: int | None, briefing: Briefing, desk: Desk, last_seen: LastSeen
) -> Briefing:
    """briefing as this reader gets it: led by what changed since they last read its
    situation, where anything did; the version they read now is noted."""
    if reader is None:
        return briefing
    version = await desk.store.content_version()
    seen = await last_seen.swap(reader, desk.store.situation_id, version)
    if seen is None or seen >= version:
        return briefing
    found = await changes(desk.store, seen, version)
    if not found:
        return briefing  # changed and changed back: nothing to say
    credit = credit_of(await desk.renderer.facts_now())
    # The lead counts toward the brief's one screen: with the usual cuts made and still too
    # long, it gives up its oldest lines first.
    for shown in range(min(LEAD_LINES, len(found)), 0, -1):
        lead = desk.renderer.render_page("since_last_looked", changes=found[-shown:],
                                         credit=credit)  # fmt: skip
        led = await desk.renderer.render_led(briefing.section.name, lead)
        if led is not None:
            return led
    return briefing
