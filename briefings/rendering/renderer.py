"""Render briefings: jinja2 templates over the facts store, into Telegram HTML."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined

from briefings.facts.models import Cable, Fact
from briefings.facts.store import FactsNow, FactStore
from briefings.facts.values import Value, counts_people
from briefings.rendering.links import tagged
from briefings.rendering.plurals import counted
from briefings.rendering.shorten import shorten
from briefings.rendering.telegram_html import MAX_MESSAGE_LENGTH, visible_length
from briefings.situations import Section, Situation
from briefings.stamp import stamp, stamp_to_keep


class BriefingTooLong(ValueError):
    """A briefing would exceed Telegram's message limit."""

    def __init__(self, section: str, length: int) -> None:
        super().__init__(
            f"the {section} briefing would be {length} characters, "
            f"over Telegram's limit of {MAX_MESSAGE_LENGTH}"
        )
        self.section = section
        self.length = length


@dataclass(frozen=True, slots=True)
class Briefing:
    """A rendered briefing and what the bot needs to present it."""

    section: Section
    text: str
    cable: Cable | None
    length: int  # as Telegram counts it (UTF-16 code units of the visible text)
    situation: Situation


def format_as_of(as_of: str | None) -> str:
    """Write an ISO date of any precision for readers: "Aug 2024", "27 Aug 2024"."""
    if not as_of:
        return "date not recorded"
    try:
        if re.fullmatch(r"\d{4}-\d{2}", as_of):
            return date.fromisoformat(as_of + "-01").strftime("%b %Y")
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", as_of):
            day = date.fromisoformat(as_of)
            return f"{day.day} {day.strftime('%b %Y')}"
    except ValueError:
        pass
    return as_of


def cable_name(cable: Cable) -> str:
    """Name a cable for a citation: "The Bismarck Cables, Aug 2024 (the editors' dating)"."""
    when = cable.published_label or (format_as_of(cable.published) if cable.published else None)
    if when and cable.dated_by == "editors":
        when += " (the editors' dating)"
    return f"The Bismarck Cables, {when}" if when else f"The Bismarck Cables: {cable.title}"


def host(url: str) -> str:
    """The site a link goes to, for crediting it: "example.org"."""
    name = urlsplit(url).hostname or url
    return name.removeprefix("www.")


def _display_value(value: Value) -> str:
    return value.display()


def make_environment() -> Environment:
    """The one jinja2 environment: autoescaped, strict, with our filters."""
    env = Environment(
        loader=PackageLoader("briefings", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["value"] = _display_value
    env.filters["as_of"] = format_as_of
    env.filters["cable_name"] = cable_name
    env.filters["host"] = host
    env.filters["tagged"] = tagged
    env.filters["counted"] = counted
    env.filters["shorten"] = shorten
    # A fact counted in people: the figures the brief and the chart set side by side.
    env.tests["counts_people"] = lambda fact: counts_people(fact.value)
    return env


# docs/EDITORIAL.md, rule 5: the brief is one phone screen, at most this many visible characters.
BRIEF_SCREEN = 900
# What a brief past one screen leaves out, in turn: the figures (/forces has them), the claims
# no verdict weighs, the other claims, the news, what the preview leaves open.
_BRIEF_CUTS: tuple[Callable[[dict[str, Any]], dict[str, Any]], ...] = (
    lambda context: {"forces": []},
    lambda context: {"claims": [claim for claim in context["claims"] if claim.verdict]},
    lambda context: {"claims": []},
    lambda context: {"news": []},
    lambda context: {"open": []},
)

_BLANK_RUNS = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")


def _tidy(raw: str) -> str:
    # Templates keep their own layout readable; readers get at most one blank line in a row.
    return _TRAILING_SPACE.sub("\n", _BLANK_RUNS.sub("\n\n", raw)).strip()


class Pages:
    """Renders the pages that are not briefings (start, help, replies) from their templates."""

    def __init__(self, env: Environment | None = None) -> None:
        self.env = env or make_environment()

    def render_page(self, name: str, **context: Any) -> str:
        raw = self.env.get_template(f"{name}.html").render(context)
        return _tidy(raw)


class BriefingRenderer(Pages):
    """Turns one situation's current facts into the briefing for a section."""

    def __init__(self, store: FactStore, env: Environment | None = None) -> None:
        super().__init__(env)
        self.store = store
        # Each kept with the stamp of the content it was read at (briefings/stamp.py).
        self._cache: dict[str, tuple[int, Briefing]] = {}
        self._now: tuple[int, FactsNow] | None = None
        # Readers who find the facts moved on wait for one reading of them, not one each.
        self._reading = asyncio.Lock()

    async def facts_now(self) -> FactsNow:
        """The facts as they are now, read once per stamp of the content."""
        return await self._facts_at(await stamp_to_keep(self.store.db))

    async def _facts_at(self, stamp: int | None) -> FactsNow:
        if stamp is None:  # inside a transaction: its own reading, never kept
            return await self.store.now()
        if self._now is None or self._now[0] != stamp:
            async with self._reading:
                if self._now is None or self._now[0] != stamp:
                    # As of stamp or later: a later read finds a new stamp.
                    now = await self.store.now()
                    if self._now is None or self._now[0] < stamp:
                        self._now = (stamp, now)
                    return now
        return self._now[1]

    async def render(self, section_name: str, *, cached: bool = True) -> Briefing:
        """Render one section from the facts as they are now; raise KeyError if unknown.

        A briefing is rendered once per stamp of the content; cached=False renders afresh.
        """
        if not cached:
            now = await self.store.now()
            return self._render(_section(now, section_name), now)
        stamp = await stamp_to_keep(self.store.db)
        hit = self._cache.get(section_name)
        if stamp is not None and hit is not None and hit[0] == stamp:
            return hit[1]
        now = await self._facts_at(stamp)
        hit = self._cache.get(section_name)  # another reader's, rendered meanwhile
        if stamp is not None and hit is not None and hit[0] == stamp:
            return hit[1]
        briefing = self._render(_section(now, section_name), now)
        if stamp is not None and (hit is None or hit[0] < stamp):
            self._cache[section_name] = (stamp, briefing)
        return briefing

    async def render_all(self) -> tuple[int, FactsNow, list[Briefing]]:
        """Every section, afresh, from one reading of the facts (for checking a change inside
        its transaction, before anyone may see it), with the stamp they are of; raise
        BriefingTooLong for one too long."""
        at = await stamp(self.store.db)
        now = await self.store.now()
        return at, now, [self._render(section, now) for section in now.situation.sections]

    def remember(self, at: int, now: FactsNow, briefings: list[Briefing]) -> None:
        """Keep the facts and briefings of a change that landed, as of its stamp at."""
        if self._now is None or self._now[0] < at:
            self._now = (at, now)
        for briefing in briefings:
            hit = self._cache.get(briefing.section.name)
            if hit is None or hit[0] < at:
                self._cache[briefing.section.name] = (at, briefing)

    async def render_led(self, section_name: str, lead: str) -> Briefing | None:
        """A section opened by lead (a reader's "Since you last looked"), never cached. The
        lead counts toward the brief's one screen: the brief's usual cuts make room for it.
        None where it cannot fit (the brief cut to its last, or a section past Telegram's
        limit): the caller tries a shorter lead."""
        now = await self.facts_now()
        section = _section(now, section_name)
        try:
            briefing = self._render(section, now, lead)
        except BriefingTooLong:
            return None
        if section.kind == "brief" and briefing.length > BRIEF_SCREEN:
            return None
        return briefing

    def _render(self, section: Section, now: FactsNow, lead: str = "") -> Briefing:
        context = self._context(section, now)
        template = self.env.get_template(f"{section.kind}.html")

        def text_of(context: dict[str, Any]) -> str:
            body = template.render(context)
            return _tidy(f"{lead}\n\n{body}" if lead else body)

        text = text_of(context)
        if section.kind == "brief":
            # One phone screen: past it, the parts the sections also hold are left out, the
            # least pressing first; the brief's buttons still offer them.
            for leave_out in _BRIEF_CUTS:
                if visible_length(text) <= BRIEF_SCREEN:
                    break
                context = {**context, **leave_out(context)}
                text = text_of(context)
        length = visible_length(text)
        if length > MAX_MESSAGE_LENGTH:
            raise BriefingTooLong(section.name, length)
        return Briefing(
            section=section,
            text=text,
            cable=context["latest_cable"],
            length=length,
            situation=now.situation,
        )

    @staticmethod
    def _context(section: Section, now: FactsNow) -> dict[str, Any]:
        facts, cables = now.facts, now.cables

        def of(name: str) -> list[Fact]:
            return [fact for fact in facts if fact.section == name]

        return {
            "situation": now.situation,
            "section": section,
            "facts": of(section.name),
            "facts_by_key": {fact.key: fact for fact in facts},
            "bottom_line": of("bottom_line"),
            "news": of("news"),
            # The figures of every figures section (the brief shows those counted in people).
            "forces": [
                fact for s in now.situation.sections if s.kind == "figures" for fact in of(s.name)
            ],
            "open": of("open"),
            "claims": now.claims,
            "cables": cables,
            "credit": credit_of(now),
            "latest_cable": cables[-1] if cables else None,
            "paid_cable": next((c for c in reversed(cables) if c.paid), None),
            "trial_section": next(
                (s.name for s in now.situation.sections if s.offers_trial), "help"
            ),
            # Facts grouped by side in the situation's order; those with none under "Context".
            "sides": [(side.key, side.label) for side in now.situation.sides]
            + [(None, "Context")],
        }


def _section(now: FactsNow, name: str) -> Section:
    """The situation's section of that name; KeyError if it has none."""
    found = now.situation.section(name)
    if found is None:
        raise KeyError(f"{now.situation.id} has no section {name!r}")
    return found


def credit(facts: list[Fact], cables: list[Cable]) -> Cable | None:
    """The cable most statements rest on: the footer credits it once for all of them."""
    counts = Counter(fact.source.id for fact in facts if fact.source is not None)
    if not counts:
        return cables[-1] if cables else None
    top = counts.most_common(1)[0][0]
    return next((cable for cable in cables if cable.id == top), None)


def credit_of(now: FactsNow) -> Cable | None:
    """The footer's credit for the facts as they are now: a statement shown outside a
    briefing (an editor's preview) is marked against it exactly as the briefing marks it."""
    return credit(now.facts, now.cables)
