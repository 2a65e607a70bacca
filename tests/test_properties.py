"""Property tests (hypothesis) over every parser and sanitiser: none raises anything but its
own refusal, every output is Telegram-valid HTML within the limits, and typed text is shown
literally."""

from __future__ import annotations

import asyncio
import contextlib
import html
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.storage import open_store
from briefings.cables.feed import FeedError, parse_feed
from briefings.cables.teaser import make_teaser
from briefings.facts.editing import Editor, FactEditor
from briefings.facts.editor_input import (
    InputError,
    clean_text,
    parse_as_of,
    parse_source_url,
    parse_value,
)
from briefings.facts.values import Value
from briefings.rendering.renderer import BriefingRenderer
from briefings.rendering.telegram_html import (
    MAX_MESSAGE_LENGTH,
    split_message,
    visible_length,
    visible_text,
)
from tests.telegram_html_check import check_html

TROOPS = Value.number(20000, "troops", approx=True)
WORDS = Value.words("a few thousand", "troops")
TODAY = date(2026, 11, 25)

# Text as editors and feeds produce it, hostile parts included.
hostile = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from([*list("<>&\"'/;-–~%kK0123456789 ,."), "\u202e", "🇺", "🇦", "\n", "\x00"]),
    ),
    max_size=400,
)
value_like = st.one_of(
    hostile,
    st.from_regex(
        r"(~|about )?\d{1,7}(,\d{3})*(k|m)?( ?(-|–|to) ?\d{1,6}k?)?( [a-z%]{1,8})?", fullmatch=True
    ),
)
# No deadline: the suite shares its machine, and a slow example is not a wrong one.
SETTINGS = settings(max_examples=300, deadline=None)


@SETTINGS
@given(value_like, st.sampled_from([TROOPS, WORDS, None]))
def test_parse_value_refuses_or_gives_a_displayable_value(
    typed: str, current: Value | None
) -> None:
    try:
        value = parse_value(typed, current)
    except InputError:
        return
    shown = value.display()
    assert shown.strip()
    if value.kind == "text":
        assert value.text == typed.strip().removeprefix(
            "text:"
        ).strip() or typed.lower().startswith("text:")
    check_html(html.escape(shown))


@SETTINGS
@given(hostile)
def test_dates_links_and_text_refuse_cleanly(typed: str) -> None:
    for reader in (lambda t: parse_as_of(t, TODAY), parse_source_url, clean_text):
        try:
            result = reader(typed)
        except InputError:
            continue
        assert isinstance(result, str) and result
    with contextlib.suppress(InputError):
        assert clean_text(typed) == typed.strip()


tags = st.sampled_from(
    [
        "p",
        "div",
        "b",
        "strong",
        "em",
        "i",
        "a",
        "script",
        "iframe",
        "img",
        "figure",
        "h2",
        "ul",
        "li",
        "br",
        "span",
        "table",
        "blockquote",
    ]
)


# A preview's HTML: a list of pieces, each an opening or closing tag, a link or text, so
# Hypothesis shrinks a failing fragment piece by piece (dropping pieces, then simplifying each).
opening = tags.map(lambda tag: f"<{tag}>")
closing = tags.map(lambda tag: f"</{tag}>")
link = st.sampled_from(["https://x.example/p/a", "javascript:alert(1)", '"><b>']).map(
    lambda href: f'<a href="{html.escape(href)}">'
)
text = st.one_of(hostile.map(html.escape), hostile)  # escaped, or raw as a careless feed has it
html_fragments = st.lists(st.one_of(opening, closing, link, text), max_size=25).map("".join)


@SETTINGS
@given(html_fragments, st.integers(40, 1200))
def test_any_preview_html_gives_a_valid_teaser_within_budget(fragment: str, budget: int) -> None:
    teaser = make_teaser(fragment, "https://x.example/p/a", budget=budget)
    if teaser.html:
        check_html(teaser.html)
    # Within budget (in characters), give or take the blank lines and bullets between blocks.
    assert len(visible_text(teaser.html)) <= budget + 4 * (teaser.html.count("\n\n") + 1)
    assert "<script" not in teaser.html and "<img" not in teaser.html and "<p>" not in teaser.html


@SETTINGS
@given(st.binary(max_size=2000))
def test_any_bytes_are_a_feed_or_refused(body: bytes) -> None:
    try:
        items = parse_feed(body)
    except FeedError:
        return
    for item in items:
        if item.teaser_html:
            check_html(item.teaser_html)


@SETTINGS
@given(st.lists(hostile, max_size=60))
def test_split_message_keeps_every_part_within_the_limit(blocks: list[str]) -> None:
    text = "\n\n".join(html.escape(block) for block in blocks if block.strip())
    for part in split_message(text, limit=500):
        assert visible_length(part) <= 500


@dataclass
class Desk:
    """One database for every example, and the loop its connection runs on."""

    runner: asyncio.Runner
    editor: FactEditor
    renderer: BriefingRenderer


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    # Module-scoped: Hypothesis runs many examples in one call of the test, and each writes
    # the values it checks before it reads them, so nothing carries from one to the next.
    with asyncio.Runner() as runner:
        store = runner.run(open_store(tmp_path_factory.mktemp("properties") / "c.db"))
        renderer = BriefingRenderer(store)
        yield Desk(runner, FactEditor(store, renderer), renderer)
        runner.run(store.db.close())


@settings(max_examples=150, deadline=None)
@given(typed=hostile)
def test_typed_values_show_literally_in_every_briefing(desk: Desk, typed: str) -> None:
    try:
        value = parse_value(typed, WORDS)
        texts = desk.runner.run(_briefings_showing(desk, value))
    except InputError:  # refused as typed, or by the editor: nothing is shown
        return
    for text in texts:
        check_html(text)
        assert visible_length(text) <= MAX_MESSAGE_LENGTH
        assert value.display() in visible_text(text)


async def _briefings_showing(desk: Desk, value: Value) -> list[str]:
    """The fortifications and the brief, with value set in each (one in the fortifications,
    one in the brief's bottom line)."""
    await desk.editor.set_value("fortification_types", value, Editor(1, "Ed"))
    await desk.editor.set_value("bottom_threat", value, Editor(1, "Ed"))
    return [(await desk.renderer.render(name)).text for name in ("fortifications", "brief")]
