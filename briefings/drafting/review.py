"""What an editor does to a draft under review, and the row it is published as.

- The voices a draft's sentence allows (docs/EDITORIAL.md, rule 1): the cable's only where no
  part of the sentence gives its words as someone's; each one the sentence names, cited, or a
  side's claim where it names a side of the situation; the editors' always.
- An edit: a typed label ("label: ...") or value. A value an editor types is the editors'
  (rule 4), and rests on no quote of the cable.
- The row: made by the editors' one row builder (`statement_row`), then given the draft's
  voice, its quote and the cable as its source, so what an editor previews is what is saved.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from briefings.drafting.models import Draft
from briefings.drafting.voices import attributions, voice_of
from briefings.facts.editing import Kind, statement_row
from briefings.facts.editor_input import ClaimDraft, FactDraft, clean_text, parse_value
from briefings.facts.models import Cable, Claim, Fact
from briefings.facts.store import claim_from_row, fact_from_row
from briefings.situations import DEFAULT_SECTIONS, Situation

LABEL_PREFIX = "label:"
LABEL_LIMIT = 120
# The claimant column of a statement in the cable's own voice, as the seed writes it.
CABLE_CLAIMANT = "The Bismarck Cables"

Voice = tuple[str, str | None]  # the voice, and whose words where they are someone's


def whose(draft: Draft) -> str:
    """Whose words a draft gives, as the editors read it in a review and `cables-bot draft`."""
    if draft.voice == "side":
        return f"{draft.who} claims"
    if draft.voice == "cited":
        return f"{draft.who}, per the cable"
    return "per the editors" if draft.voice == "editors" else "per the cable"


def voices_allowed(draft: Draft, situation: Situation | None) -> list[Voice]:
    """The voices the draft's sentence allows, in turn: the cable's, each one it names
    (cited, then as a side), the editors'."""
    start = draft.start - draft.sentence_start
    end = start + len(draft.quote)
    found = attributions(draft.sentence)
    allowed: list[Voice] = []
    if not any(a.scope_start < end and start < a.scope_end for a in found):
        allowed.append(("cable", None))
    for attribution in found:
        if attribution.who:
            allowed.append(("cited", attribution.who))
            if voice_of(attribution.who, situation)[0] == "side":
                allowed.append(("side", attribution.who))
    allowed.append(("editors", None))
    return list(dict.fromkeys(allowed))


def next_voice(draft: Draft, situation: Situation | None) -> Draft | None:
    """The draft in the next voice its sentence allows; None where it allows only its own."""
    allowed = voices_allowed(draft, situation)
    now = (draft.voice, draft.who)
    following = allowed[(allowed.index(now) + 1) % len(allowed)] if now in allowed else allowed[0]
    if following == now:
        return None
    voice, who = following
    return in_voice(draft, voice, who, situation)


def in_voice(draft: Draft, voice: str, who: str | None, situation: Situation | None) -> Draft:
    """The draft in that voice: a side's words are its claim (rule 3), anything else is not."""
    sections = situation.sections if situation is not None else DEFAULT_SECTIONS
    figures = next((s.name for s in sections if s.kind == "figures"), "forces")
    if voice == "side":
        claims = next((s.name for s in sections if s.kind == "claims"), "claims")
        side = situation.side_of(who or "") if situation is not None else None
        return replace(draft, voice=voice, who=who, side=side, kind="claim", section=claims)
    kind, section = draft.kind, draft.section
    if kind == "claim":
        kind = "figure" if draft.low is not None else "assessment"
        section = figures
    return replace(draft, voice=voice, who=who if voice == "cited" else None, kind=kind,
                   section=section)  # fmt: skip


def edited(draft: Draft, typed: str) -> Draft:
    """The draft with the label or value an editor typed (InputError if it cannot be)."""
    text = typed.strip()
    if text.lower().startswith(LABEL_PREFIX):
        label = clean_text(text[len(LABEL_PREFIX) :], "label", LABEL_LIMIT)
        return replace(draft, label=label)
    if draft.low is None:
        value = clean_text(text, "value")
        return replace(draft, value=value, voice="editors", who=None, unit=None)
    parsed = parse_value(text, draft.as_value())
    if parsed.kind == "text":
        return replace(draft, value=parsed.display(), voice="editors", who=None, low=None,
                       high=None, approx=False, unit=parsed.unit)  # fmt: skip
    return replace(draft, value=parsed.display(), voice="editors", who=None, low=parsed.low,
                   high=parsed.high, approx=parsed.approx, unit=parsed.unit)  # fmt: skip


def draft_row(
    draft: Draft, situation: Situation, cable_id: str, editor_name: str, as_of: str, now: str
) -> tuple[Kind, dict[str, Any]]:
    """The row a draft is published as, its key still the text to make one from."""
    value = draft.as_value()
    quote = None if draft.voice == "editors" else draft.quote
    statement: FactDraft | ClaimDraft
    if draft.voice == "side":
        figure = draft.low is not None
        statement = ClaimDraft(claimant=draft.who or "", as_of=as_of,
                               claim=draft.label if figure else draft.value,
                               value=value if figure else None)  # fmt: skip
    else:
        speaker = draft.who if draft.voice == "cited" and draft.who else "editors"
        statement = FactDraft(_section(draft, situation), draft.label, value, speaker, as_of,
                              side=draft.side)  # fmt: skip
    kind, row = statement_row(statement, situation, editor_name, now)
    row.update(quote=quote, source_cable_id=cable_id)
    if kind == "fact" and draft.voice == "cable":
        row.update(voice="cable", claimant=CABLE_CLAIMANT)
    return kind, row


def as_statement(kind: Kind, row: dict[str, Any], cable: Cable) -> Fact | Claim:
    """The statement readers would get from a row, citing the cable."""
    cables = {cable.id: cable}
    return claim_from_row(row, {}, cables) if kind == "claim" else fact_from_row(row, cables)


def _section(draft: Draft, situation: Situation) -> str:
    """The draft's section where the situation has it; else its figures (or first) section."""
    if draft.section in situation.fact_sections:
        return draft.section
    figures = [s.name for s in situation.sections if s.kind == "figures"]
    return (figures or list(situation.fact_sections))[0]
