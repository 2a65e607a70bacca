"""Drafting a cable's statements from its preview (briefings/drafting/), against the first
cable's seed and every feed item in the fixtures.

A draft recovers a seed statement when their quote spans overlap in the cable's text.
"""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from briefings.drafting import CableRef, Draft, draft_statements
from briefings.drafting.preview import feed_previews, preview_from_html, preview_from_text
from briefings.drafting.quantities import find_quantities
from briefings.facts.models import Fact
from briefings.facts.seed import SEED_DIR, read_seed, seed_value
from briefings.situations import Side, Situation

SEED = SEED_DIR / "cable-001-belarus-troops.toml"
FIXTURES = Path(__file__).parent / "fixtures"
FEEDS = [*sorted(FIXTURES.glob("*feed*.xml")), FIXTURES / "substack-real-free-posts.xml"]
DATA = read_seed(SEED)
STATEMENTS = [*DATA["facts"], *DATA["claims"]]
SITUATION = Situation(
    "belarus-ukraine-border-2024", DATA["situation"]["title"], DATA["situation"]["period"],
    sides=tuple(Side(s["key"], s["label"], tuple(s["words"])) for s in DATA["sides"]),
)  # fmt: skip
# Words by which a sentence gives its words as someone else's (independent of voices.py).
ATTRIBUTING = re.compile(
    r"\baccording to\b|\b(?:claims?|claimed|says|said|announced|stated|alleged)\b", re.I
)


def seed_drafts() -> tuple[str, list[Draft]]:
    preview = preview_from_text(SEED.with_suffix(".txt").read_text(encoding="utf-8"))
    cable = CableRef("https://thebismarckcables.substack.com", preview.title, preview.subtitle,
                     "2024-08")  # fmt: skip
    return preview.text, draft_statements(preview.text, cable, SITUATION)


def overlapping(text: str, quote: str, drafts: list[Draft]) -> list[tuple[int, Draft]]:
    start = text.find(quote)
    assert start >= 0, quote
    end = start + len(quote)
    return [
        (min(end, d.end) - max(start, d.start), d)
        for d in drafts
        if d.start < end and start < d.end
    ]


def test_the_seed_is_recovered_with_its_voices_from_few_drafts() -> None:
    text, drafts = seed_drafts()
    recovered = agreed = 0
    missed = []
    for statement in STATEMENTS:
        found = overlapping(text, statement["quote"], drafts)
        if not found:
            missed.append(statement["key"])
            continue
        recovered += 1
        best = max(found, key=lambda pair: pair[0])[1]
        voice = statement.get("voice", "side" if statement in DATA["claims"] else "cable")
        agreed += best.voice == voice
    assert recovered >= 0.8 * len(STATEMENTS), missed
    assert agreed >= 0.9 * recovered
    assert len(drafts) <= 2 * len(STATEMENTS)


def test_the_seed_figures_read_as_the_cable_gives_them() -> None:
    _, drafts = seed_drafts()
    values = {d.value for d in drafts if d.kind in ("figure", "claim")}
    for words in ("around 60,000 personnel", "only 30-40% capacity", "around 10k",
                  "barely mustered 30k", "most likely has only a few thousand troops",
                  "approximately 20,000 troops", "120k troops"):  # fmt: skip
        assert words in values
    claims = [d for d in drafts if d.kind == "claim"]
    assert {(d.voice, d.who, d.side) for d in claims} == {("side", "Belarus", "belarus")}
    cited = next(d for d in drafts if d.voice == "cited")
    assert (cited.who, cited.value, cited.unit) == (
        "most open intel analysts",
        "around 10-15k troops",
        "troops",
    )
    barely = next(d for d in drafts if d.value == "barely mustered 30k")
    assert barely.unit is None  # the cable writes no unit there: none is added
    assert (barely.low, barely.side) == (30000, "russia")


def test_the_seed_gives_news_bottom_lines_and_the_open_question() -> None:
    text, drafts = seed_drafts()
    kinds = {d.kind for d in drafts}
    assert {"news", "bottom_line", "open_question", "figure", "claim", "assessment"} <= kinds
    news = next(d for d in drafts if d.kind == "news")
    assert news.quote.startswith("A few weeks ago, Belarus began to amass tanks")
    bottom = [d.quote for d in drafts if d.kind == "bottom_line"]
    assert "Belarus accumulates troops: optics vs actual potential threat." in bottom
    question = next(d for d in drafts if d.kind == "open_question")
    assert question.quote.startswith("The question then becomes why")
    assert question.quote.endswith("What is he going to gain from all this?")
    assert "Keep reading" not in text  # the paywall's box is not the cable's text


def every_feed_draft() -> list[tuple[str, str, Draft]]:
    found = []
    for feed in FEEDS:
        for cable, preview in feed_previews(feed.read_bytes()):
            for draft in draft_statements(preview.text, cable, SITUATION):
                found.append((feed.name, preview.text, draft))
    return found


def check_draft(text: str, draft: Draft) -> None:
    assert text[draft.start : draft.end] == draft.quote
    assert (draft.quote and draft.quote in draft.sentence) or draft.kind in (
        "news", "open_question", "bottom_line"
    )  # fmt: skip
    for number in re.findall(r"\d+", draft.value):
        assert number in draft.quote, (draft.value, draft.quote)
    if draft.voice == "cable":
        assert not ATTRIBUTING.search(draft.quote), draft.quote
    else:
        assert draft.who or draft.voice == "editors"


def test_every_feed_item_drafts_quotes_in_its_own_words() -> None:
    drafts = every_feed_draft()
    assert len(drafts) > 50
    assert {d.kind for _, _, d in drafts} >= {"figure", "news", "bottom_line", "open_question"}
    for _, text, draft in drafts:
        check_draft(text, draft)
        assert draft.cable.startswith("https://")


def test_a_paid_feed_item_stops_at_read_more_and_a_free_post_leaves_nothing_open() -> None:
    previews = feed_previews((FIXTURES / "bismarck-feed-v2.xml").read_bytes())
    cable, preview = next(p for p in previews if p[0].url.endswith("fixture-cable-c"))
    assert cable.paid and "Read more" not in preview.text
    assert any(d.kind == "open_question" for d in draft_statements(preview.text, cable))
    free = feed_previews((FIXTURES / "substack-real-free-posts.xml").read_bytes())
    for cable, preview in free:
        assert not cable.paid
        assert all(d.kind != "open_question" for d in draft_statements(preview.text, cable))


NO_NUMBERS = """\
Minsk turns up the heat: a show of force, not a plan.
Belarus moved armoured columns towards the Ukrainian border this week, its state media showed.
The columns were filmed near Mozyr and then moved on towards the border crossings.
This is a signal to Kyiv and to the West rather than a real threat overall.
The harder question is what Lukashenko wants in return.
What does Minsk expect from Moscow?
Keep reading with a 7-day free trial
"""


def test_a_preview_with_no_numbers_gives_news_bottom_line_and_open_question_only() -> None:
    preview = preview_from_text("Minsk's gambit\n" + NO_NUMBERS)
    cable = CableRef("https://example.substack.com/p/gambit", preview.title, preview.subtitle)
    drafts = draft_statements(preview.text, cable, SITUATION)
    assert {d.kind for d in drafts} == {"news", "bottom_line", "open_question"}
    for draft in drafts:
        check_draft(preview.text, draft)
    assert next(d for d in drafts if d.kind == "open_question").value == (
        "What does Minsk expect from Moscow?"
    )


def test_a_figure_the_situation_has_is_drafted_as_a_change_to_it_never_twice() -> None:
    text = (
        "Belarus masses troops\nThe build-up goes on.\n"
        "There are now around 12k Russian troops still in Belarus.\n"
        "Belarus’s active duty army totals around 60,000 personnel.\n"
    )
    facts = [
        Fact(key=item["key"], section=item["section"], label=item["label"],
             value=seed_value(item), claimant="The Bismarck Cables", as_of="2024-08",
             side=item.get("side"), quote=item.get("quote"))
        for item in DATA["facts"]
    ]  # fmt: skip
    cable = CableRef("https://x.substack.com/p/later", "Belarus masses troops", None, "2024-10")
    drafts = draft_statements(text, cable, SITUATION, facts)
    figures = [d for d in drafts if d.kind == "figure"]
    assert len(figures) == 1  # the 60,000 the situation has is not drafted again
    (change,) = figures
    assert (change.changes, change.value, change.as_of, change.cable) == (
        "russian_troops_in_belarus",
        "around 12k",
        "2024-10",
        cable.url,
    )
    assert change.label == "Russian troops still in Belarus"  # the fact's own label


def test_attributed_words_are_never_the_cables() -> None:
    text = (
        "Title line\nSubtitle line here.\n"
        "Ukraine has about 5,000 troops in the north, according to ISW.\n"
        "The defence ministry said 300 tanks were lost, which seems unlikely.\n"
        "Russia claims that 40 drones were shot down.\n"
        "That is preposterous.\n"
    )
    drafts = draft_statements(text, CableRef("https://x.substack.com/p/y", "Title line",
                                             "Subtitle line here."), SITUATION)  # fmt: skip
    by_value = {d.value: d for d in drafts}
    assert (by_value["about 5,000 troops"].voice, by_value["about 5,000 troops"].who) == (
        "cited",
        "ISW",
    )
    assert by_value["300 tanks"].who == "The defence ministry"
    assert (by_value["40 drones"].kind, by_value["40 drones"].side) == ("claim", "russia")
    for draft in drafts:
        check_draft(text, draft)


def test_years_spans_of_time_and_names_are_not_figures() -> None:
    found = find_quantities(
        "Since 2022, after 2.5 years and a 7-day pause, F-16 jets and 2025 – 2026 plans,"
        " on 24 February, 30k troops remained."
    )
    assert [q.given for q in found] == ["30k troops"]


# Sentences made of words, figures, hedges and cues, in any order.
_PIECES = st.sampled_from([
    "Belarus claims", "according to analysts", "the ministry said", "around", "only",
    "barely mustered", "10-15k", "20,000 troops", "30-40%", "a few thousand troops", "2022",
    "unlikely", "preposterous", "would", "(", ")", " - ", ",", "Ukraine", "Russia", "it has",
    "the border", "we can say", "most likely", "12.5", "$5 billion", "—", "…", "“", "”",
])  # fmt: skip
_WORDS = st.text(alphabet=string.ascii_letters, min_size=1, max_size=8)
_SENTENCE = st.builds(
    lambda words, end: " ".join(words) + end,
    st.lists(st.one_of(_PIECES, _WORDS), min_size=1, max_size=25),
    st.sampled_from([".", "?", "!", "…", ""]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_SENTENCE, min_size=1, max_size=4), min_size=1, max_size=6))
def test_any_text_drafts_quotes_that_hold(paragraphs: list[list[str]]) -> None:
    text = "\n".join(" ".join(sentences) for sentences in paragraphs)
    cable = CableRef("https://x.substack.com/p/generated", "A title", None)
    for draft in draft_statements(text, cable, SITUATION):
        check_draft(text, draft)


def test_a_post_page_is_read_up_to_the_paywall() -> None:
    page = (
        "<html><head><meta property='og:title' content='Belarus accumulates troops'>"
        "<meta property='og:description' content='Optics vs threat.'>"
        "<link rel='canonical' href='https://thebismarckcables.substack.com/p/belarus'>"
        '</head><body><nav>Home Archive About</nav><div class="available-content">'
        + (FIXTURES / "web-preview-cable-001.html").read_text(encoding="utf-8")
        + "</div></body></html>"
    )
    preview = preview_from_html(page)
    assert preview.url == "https://thebismarckcables.substack.com/p/belarus"
    assert (preview.title, preview.subtitle, preview.paid) == (
        "Belarus accumulates troops",
        "Optics vs threat.",
        True,
    )
    assert "Home Archive" not in preview.text and "Keep reading" not in preview.text
    assert preview.text.splitlines()[-1] == "Lukashenko’s calculus."


@pytest.mark.parametrize("feed", FEEDS, ids=lambda path: path.name)
def test_feed_fixtures_parse(feed: Path) -> None:
    assert feed_previews(feed.read_bytes())
