"""The briefing sections: one list that feeds the templates, the commands and the menus."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Section:
    """A briefing readers can ask for by name (/forces) or by button."""

    name: str
    button: str
    summary: str
    offers_trial: bool = False


SECTIONS: tuple[Section, ...] = (
    Section("brief", "📋 Brief", "The whole picture in one message"),
    Section("forces", "🪖 Forces", "Troop counts on both sides, who says so and as of when"),
    Section("claims", "⚖️ Claims", "What each side claims, against what the evidence says"),
    Section("fortifications", "🛡 Fortifications", "Ukraine's northern defences"),
    Section("calculus", "♟ Calculus", "Lukashenko's calculus", offers_trial=True),
    Section("sources", "📚 Sources", "The cables these facts come from"),
)

SECTIONS_BY_NAME: dict[str, Section] = {section.name: section for section in SECTIONS}
