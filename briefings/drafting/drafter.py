"""Draft a cable's statements from its preview's text: the one entry point (the bot runs it
in a process of its own, briefings/drafting/apart.py).

Every draft quotes the text verbatim (its `start` is where), every number of its value is in
its quote, and words the sentence attributes to someone are never drafted in the cable's
voice. Time is linear in the text: sentences are split in bounded pieces and every pattern
here is bounded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from briefings.drafting.kinds import (
    is_aside,
    is_heading_like,
    is_question,
    judgement_cue,
    sums_up,
)
from briefings.drafting.labels import figure_label, named_subject, phrase_label
from briefings.drafting.matching import match_existing
from briefings.drafting.models import CableRef, Draft
from briefings.drafting.quantities import Quantity, find_quantities
from briefings.drafting.sentences import Sentence, split_sentences
from briefings.drafting.voices import Attribution, attributions, voice_of
from briefings.facts.models import Claim, Fact
from briefings.situations import DEFAULT_SECTIONS, Situation

# The news: the opening paragraph's first sentences, up to this many characters.
NEWS_CHARS = 320
# Where the preview stops: its open question is among its last sentences.
LAST_SENTENCES = 6
# An unnamed speaker ("the claim that", "they said") is whoever the sentences just before named.
CARRY_SENTENCES = 3
_CLAUSE_END = re.compile(r",\s|;\s|:\s|\s[-–—]\s|[()]")
_SPACES = re.compile(r"\s+")
# A label's head ends at its first preposition: "Russian troops | still in Belarus".
_HEAD_END = re.compile(r"\s(?:in|at|near|along|on|towards|to|into|from)\s")


def draft_statements(
    text: str,
    cable: CableRef,
    situation: Situation | None = None,
    facts: Sequence[Fact] = (),
    claims: Sequence[Claim] = (),
) -> list[Draft]:
    """Every statement drafted from a preview's text (a paragraph a line), in its order.

    With a situation, its sides make claims of what they say and its sections place the
    drafts; with its facts and claims, a draft of one of them with another value changes it.
    """
    return _Drafter(text, cable, situation).run(facts, claims)


class _Drafter:
    def __init__(self, text: str, cable: CableRef, situation: Situation | None) -> None:
        self.text = text
        self.cable = cable
        self.situation = situation
        self.sentences = split_sentences(text)
        self.paragraphs = text.split("\n")
        self.drafts: list[Draft] = []
        sections = situation.sections if situation is not None else DEFAULT_SECTIONS
        self.figures_section = next((s.name for s in sections if s.kind == "figures"), "forces")
        self.claims_section = next((s.name for s in sections if s.kind == "claims"), "claims")
        self.topics = [s for s in sections if s.kind == "topic"]

    def run(self, facts: Sequence[Fact], claims: Sequence[Claim]) -> list[Draft]:
        title_at, subtitle_at = self._title_and_subtitle()
        body = [s for s in self.sentences if s.paragraph not in (title_at, subtitle_at)]
        if subtitle_at is not None:
            subtitle = next(s for s in self.sentences if s.paragraph == subtitle_at)
            line = self.paragraphs[subtitle_at]
            whole = Sentence(subtitle.start, line.strip(), subtitle_at)
            self._add_span(whole, whole, "bottom_line", "bottom_line", "The subtitle")
        opening = self._opening(body)
        stop = self._open_question(body) if self.cable.paid else []
        stop_starts = {s.start for s in stop}
        seen: set[str] = set()
        last_who: list[tuple[int, str]] = []
        assessments: list[int] = []
        for index, sentence in enumerate(body):
            if sentence.start in stop_starts:
                continue
            if opening and sentence is opening[-1]:
                self._add_span(opening[0], opening[-1], "news", "news", "What happened")
            found = [self._resolve(a, index, last_who) for a in attributions(sentence.text)]
            for attribution in found:
                if attribution.who:
                    last_who.append((index, attribution.who))
            self._figures(sentence, found, seen)
            if is_aside(sentence.text) or is_heading_like(sentence.text):
                continue
            if self._assessment(sentence, found):
                assessments.append(len(self.drafts) - 1)
        if assessments:  # the closing judgement: a bottom-line candidate
            last = self.drafts[assessments[-1]]
            if last.voice == "cable":
                self.drafts[assessments[-1]] = _as_bottom_line(last)
        if stop:
            self._add_span(stop[0], stop[-1], "open_question", "open", "The open question")
        return match_existing(self.drafts, facts, claims)

    # ---------------------------------------------------------------- where things are
    def _title_and_subtitle(self) -> tuple[int | None, int | None]:
        title = _flat(self.cable.title).rstrip(".")
        subtitle = _flat(self.cable.subtitle or "").rstrip(".")
        title_at = subtitle_at = None
        for number, paragraph in enumerate(self.paragraphs[:3]):
            flat = _flat(paragraph).rstrip(".")
            if title and title_at is None and subtitle_at is None and title in flat:
                title_at = number
            elif subtitle and subtitle_at is None and flat == subtitle:
                subtitle_at = number
        return title_at, subtitle_at

    def _opening(self, body: list[Sentence]) -> list[Sentence]:
        """The opening paragraph's first sentences: the news."""
        for sentence in body:
            paragraph = self.paragraphs[sentence.paragraph]
            if is_heading_like(paragraph) or is_aside(paragraph):
                continue
            kept = [s for s in body if s.paragraph == sentence.paragraph]
            news = kept[:1]
            for more in kept[1:]:
                if more.end - news[0].start > NEWS_CHARS:
                    break
                news.append(more)
            return news
        return []

    def _open_question(self, body: list[Sentence]) -> list[Sentence]:
        """Where the preview stops: its last run of questions among its last sentences,
        else its last heading."""
        last = body[-LAST_SENTENCES:]
        questions = [index for index, s in enumerate(last) if is_question(s.text)]
        if questions:
            end = begin = questions[-1]
            while begin > 0 and is_question(last[begin - 1].text):
                begin -= 1
            return last[begin : end + 1]
        headings = [s for s in last if is_heading_like(self.paragraphs[s.paragraph])]
        return headings[-1:] or last[-1:]

    def _resolve(
        self, attribution: Attribution, index: int, last_who: list[tuple[int, str]]
    ) -> Attribution:
        """An unnamed speaker is whoever the sentences just before named."""
        if attribution.who is not None:
            return attribution
        recent = [who for at, who in last_who if index - at <= CARRY_SENTENCES]
        if not recent:
            return attribution
        return replace(attribution, who=recent[-1])

    # ---------------------------------------------------------------- drafts
    def _figures(self, sentence: Sentence, found: list[Attribution], seen: set[str]) -> None:
        for quantity in find_quantities(sentence.text):
            number = sentence.text[quantity.number_start : quantity.number_end].lower()
            if number in seen:
                continue  # a figure given again ("let alone amass 120k"): already drafted
            seen.add(number)
            said = next((a for a in found if a.covers(quantity.start, quantity.end)), None)
            self._figure(sentence, quantity, said, found)

    def _figure(
        self, sentence: Sentence, quantity: Quantity, said: Attribution | None,
        found: list[Attribution],
    ) -> None:  # fmt: skip
        text = sentence.text
        clause_start, clause_end = _clause(text, quantity.start, quantity.end)
        if said is not None:
            start, end = min(said.who_start, clause_start), said.scope_end
            voice, side = voice_of(said.who, self.situation)
        else:
            start, end = _clear_of(found, clause_start, clause_end, quantity)
            voice, side = "cable", None
        quote = text[start:end].strip(" ,;:")
        start = text.index(quote, start)
        if voice == "side":
            label = phrase_label(text, start, quantity, end)
            kind, section = "claim", self.claims_section
        else:
            # The subject after whoever is cited: "according to analysts it has 10-15k".
            after_who = said.cue_end if said is not None else 0
            label = figure_label(text, max(clause_start, after_who), clause_end, quantity)
            kind, section = "figure", self.figures_section
            side = self._side(label, text[clause_start:clause_end], text)
        self.drafts.append(
            Draft(
                cable=self.cable.url, kind=kind, section=section, label=label,
                value=quantity.given, voice=voice, quote=quote,
                start=sentence.start + start, sentence=text, sentence_start=sentence.start,
                who=said.who if said is not None else None, side=side, unit=quantity.unit,
                low=quantity.low, high=quantity.high, approx=quantity.approx,
                as_of=self.cable.published,
            )
        )  # fmt: skip

    def _assessment(self, sentence: Sentence, found: list[Attribution]) -> bool:
        """Draft the sentence's judgement, if it makes one: the cable's, outside any
        attributed part and any figure's words; or a side's claim or someone's statement."""
        text = sentence.text
        figures = [(q.start, q.end) for q in find_quantities(text)]
        pieces = _outside(text, [(a.scope_start, a.scope_end) for a in found])
        for start, end in sorted(pieces, key=lambda piece: piece[0] - piece[1]):
            piece = text[start:end]
            cues = [m for m in _cue_positions(piece)
                    if not any(a <= start + m < b for a, b in figures)]  # fmt: skip
            if cues:
                kind = "bottom_line" if sums_up(piece) else "assessment"
                self._add(sentence, kind, self._topic(piece, kind), self._subject(piece),
                          sentence.start + start, end - start)  # fmt: skip
                return kind == "assessment"
        for attribution in found:
            has_figure = any(attribution.covers(a, b) for a, b in figures)
            if has_figure or attribution.who is None:
                continue
            voice, side = voice_of(attribution.who, self.situation)
            start = min(attribution.who_start, attribution.scope_start)
            span = text[start : attribution.scope_end].strip(" ,;:")
            kind = "claim" if voice == "side" else "assessment"
            section = self.claims_section if kind == "claim" else self._topic(span, kind)
            self._add(sentence, kind, section, attribution.who, sentence.start + text.index(
                span, start), len(span), voice=voice, who=attribution.who, side=side)  # fmt: skip
        return False

    # ---------------------------------------------------------------- helpers
    def _add(
        self, sentence: Sentence, kind: str, section: str, label: str, start: int,
        length: int, *, voice: str = "cable", who: str | None = None, side: str | None = None,
    ) -> None:  # fmt: skip
        quote = self.text[start : start + length]
        stripped = quote.strip(" ,;:(")
        start += quote.index(stripped)
        self.drafts.append(
            Draft(
                cable=self.cable.url, kind=kind, section=section, label=label,
                value=_flat(stripped), voice=voice, quote=stripped, start=start,
                sentence=sentence.text, sentence_start=sentence.start, who=who,
                side=side or self._side(label, stripped, sentence.text) if voice != "cited"
                else None, as_of=self.cable.published,
            )
        )  # fmt: skip

    def _add_span(self, first: Sentence, last: Sentence, kind: str, section: str,
                  label: str) -> None:  # fmt: skip
        """Whole sentences, in the voice of whoever they quote, if they quote anyone."""
        quote = self.text[first.start : last.end]
        said = next(iter(attributions(quote)), None)
        voice, side = voice_of(said.who, self.situation) if said else ("cable", None)
        self._add(first, kind, section, label, first.start, len(quote), voice=voice,
                  who=said.who if said else None, side=side)  # fmt: skip

    def _side(self, *texts: str) -> str | None:
        if self.situation is None:
            return None
        for text in texts:
            head = _HEAD_END.split(text, maxsplit=1)[0]
            for candidate in (head, text):
                side = self.situation.side_of(candidate)
                if side:
                    return side
        return None

    def _topic(self, text: str, kind: str) -> str:
        """A judgement goes to the topic section whose title shares most words with it."""
        if kind == "bottom_line":
            return "bottom_line"
        words = set(re.findall(r"[a-z]{4,}", text.lower()))
        best, score = self.figures_section, 0
        for topic in self.topics:
            about = f"{topic.title} {topic.summary}".lower()
            shared = len(words & set(re.findall(r"[a-z]{4,}", about)))
            if shared > score:
                best, score = topic.name, shared
        return best if score or not self.topics else self.topics[0].name

    def _subject(self, piece: str) -> str:
        return named_subject(piece, self.situation) or "The cable's judgement"


def _as_bottom_line(draft: Draft) -> Draft:
    return replace(draft, kind="bottom_line", section="bottom_line")


def _cue_positions(piece: str) -> list[int]:
    positions = []
    rest, offset = piece, 0
    while rest:
        cue = judgement_cue(rest)
        if cue is None:
            break
        at = rest.lower().find(cue.lower())
        positions.append(offset + at)
        offset += at + len(cue)
        rest = piece[offset:]
    return positions


def _clause(text: str, start: int, end: int) -> tuple[int, int]:
    """The clause around a figure, taken back to a clause of at least six words."""
    begin, finish = 0, len(text)
    breaks = list(_CLAUSE_END.finditer(text))
    for match in breaks:
        if match.end() <= start:
            begin = match.end()
        elif match.start() >= end:
            finish = match.start()
            break
    earlier = [m.end() for m in breaks if m.end() <= begin]
    while len(text[begin:finish].split()) < 6 and begin > 0:
        earlier.pop() if earlier and earlier[-1] == begin else None
        begin = earlier.pop() if earlier else 0
    return begin, finish


def _clear_of(
    found: list[Attribution], start: int, end: int, quantity: Quantity
) -> tuple[int, int]:
    """The figure's clause without any part of it the sentence gives as someone's words."""
    for attribution in found:
        begins = min(attribution.who_start, attribution.scope_start)
        if begins < end and start < attribution.scope_end:
            if attribution.scope_end <= quantity.start:
                start = attribution.scope_end
            elif begins >= quantity.end:
                end = begins
    return start, end


def _outside(text: str, scopes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The pieces of text outside the attributed scopes."""
    pieces, at = [], 0
    for start, end in sorted(scopes):
        if start > at:
            pieces.append((at, start))
        at = max(at, end)
    if at < len(text):
        pieces.append((at, len(text)))
    return [(a, b) for a, b in pieces if text[a:b].strip(" ,;:()-–—")]


def _flat(text: str) -> str:
    return _SPACES.sub(" ", text).strip()
