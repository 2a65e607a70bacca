"""Teasers from realistic Substack feeds: paid and free posts, images, footnotes, hostile text."""

from __future__ import annotations

import asyncio
import re
import sys
import time
from pathlib import Path

import pytest

from bench.fake_feed import fixture
from briefings.cables.feed import FeedError, FeedItem, parse_feed
from briefings.cables.teaser import MAX_TEASER_ENTITIES, TEASER_BUDGET, make_teaser
from briefings.rendering.telegram_html import entity_count, visible_text
from tests.conftest import CPU
from tests.telegram_html_check import check_html

# A real Substack feed (pennspark.substack.com, 18 free posts), copied from shared/feeds.
REAL_SUBSTACK = Path(__file__).parent / "fixtures" / "substack-real-free-posts.xml"


def items(name: str) -> dict[str, FeedItem]:
    return {item.slug: item for item in parse_feed(fixture(name))}


def test_a_paid_posts_read_more_marker_is_not_in_the_teaser() -> None:
    cable = items("bismarck-feed-v1.xml")["fixture-cable-a"]
    assert cable.paid is True
    assert cable.teaser_html == "The public preview of the paid fixture. It has two sentences."
    assert cable.subtitle == "The paid post's subtitle"


def test_a_free_post_keeps_text_and_links_and_drops_media_widgets_and_footnotes() -> None:
    cable = items("bismarck-feed-v1.xml")["fixture-cable-b"]
    teaser = cable.teaser_html
    check_html(teaser)
    assert cable.paid is False
    assert 'with <b>bold</b>, <i>italic</i> and a <a href="https://example.org/source">' in teaser
    text = visible_text(teaser)
    for absent in ("Caption", "Widget text", "Footnote text", "Subscribe", "map.png", "<p>"):
        assert absent not in text and absent not in teaser
    # Links to the post itself, or "Read more" links that are not the last element, stay.
    assert "this very post" in text
    assert "A closing paragraph after an unrelated Read more link." in text


def test_title_and_preview_text_stay_literal() -> None:
    cable = items("bismarck-feed-v2.xml")["fixture-cable-c"]
    assert cable.title == 'Lukashenko\'s calculus & the "second front" <analysis>'
    teaser = cable.teaser_html
    check_html(teaser)
    assert "troops &amp; tanks &lt;massed&gt; at the border" in teaser
    assert "alert" not in teaser and "iframe" not in teaser
    assert "<b>A heading in the preview</b>" in teaser
    assert cable.paid is True


def test_the_web_pages_trial_box_ends_the_teaser() -> None:
    teaser = make_teaser(fixture("web-preview-cable-001.html").decode(), None)
    assert teaser.paid is True
    assert "Keep reading" not in teaser.html and "Subscribe to" not in teaser.html
    # The heading the preview stops at has no text of its own in it: the teaser ends before.
    assert visible_text(teaser.html).endswith("Let us unpack.")


def test_a_long_preview_is_cut_at_a_sentence_end() -> None:
    sentences = " ".join(f"Sentence number {n} of the preview." for n in range(200))
    teaser = make_teaser(f"<p>{sentences}</p>", "https://x.example/p/a", budget=300)
    assert teaser.cut is True
    text = visible_text(teaser.html)
    assert len(text) <= 300 and text.endswith("of the preview.")


def test_a_long_paragraph_without_sentence_ends_is_cut_at_a_word() -> None:
    teaser = make_teaser("<p>" + "word " * 400 + "</p>", None, budget=100)
    assert visible_text(teaser.html).endswith("word…") and len(teaser.html) <= 101


def test_every_real_substack_post_gives_valid_telegram_html() -> None:
    found = parse_feed(REAL_SUBSTACK.read_bytes())
    assert len(found) == 18
    for item in found:
        check_html(item.teaser_html) if item.teaser_html else None
        assert len(visible_text(item.teaser_html)) <= 700
        assert "<img" not in item.teaser_html and "<p>" not in item.teaser_html
        assert not item.paid


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html><body><h1>502 Bad Gateway</h1></body></html>",
        b"\x00\xff garbage",
        fixture("bismarck-feed-v2.xml")[:1500],  # cut off mid-item
    ],
)
def test_what_is_not_a_whole_feed_is_refused(body: bytes) -> None:
    with pytest.raises(FeedError):
        parse_feed(body)


def test_a_post_pages_meta_tags_are_read_as_browsers_read_them() -> None:
    from briefings.cables.page import read_page_meta

    page = (
        "<html><head><title>Fallback &amp; title</title>"
        "<meta name='description' content='The plain description'>"
        '<meta property="og:description" content="Has <b>tags</b> &amp; entities">'
        "</head><body><meta property='og:title' content='Not in the head'></body></html>"
    )
    meta = read_page_meta(page)
    assert meta.title == "Fallback & title"
    assert meta.description == "Has <b>tags</b> & entities"
    # Hostile pages: unclosed tags by the hundred thousand give no title, at once.
    for hostile in ("<a " * 35_000, "<meta " * 30_000, '<meta content="' * 20_000):
        assert read_page_meta(hostile).title is None


def test_common_slips_do_not_cost_a_whole_feed() -> None:
    from bench.fake_feed import fixture
    from briefings.cables.feed import FeedError, parse_feed

    good = fixture("bismarck-feed-v2.xml")
    titles = [item.title for item in parse_feed(good)]
    # A newline before "<?xml", a bare "&": every entry is still there.
    assert [item.title for item in parse_feed(b"\n\n" + good)] == titles
    stray = good.replace(b"<generator>Substack</generator>", b"<generator>S & S</generator>")
    assert [item.title for item in parse_feed(stray)] == titles
    # A document cut off half-way is still refused: its last items may be half there.
    with pytest.raises(FeedError, match="malformed feed"):
        parse_feed(good[: len(good) // 2])


def test_an_html_title_is_shown_as_its_text() -> None:
    from briefings.cables.feed import parse_feed

    atom = (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
        b'<entry><title type="html">That&amp;#8217;s 1930ft&lt;sup&gt;2&lt;/sup&gt;</title>'
        b'<link href="https://example.org/p/a"/><id>a</id><summary>s</summary></entry></feed>'
    )
    assert [item.title for item in parse_feed(atom)] == ["That’s 1930ft²"]


@pytest.mark.parametrize(
    ("html_text", "shown"),
    [
        ("1930ft<sup>2</sup>", "1930ft²"),
        ("CO<sub>2</sub> and H<sub>2</sub>O", "CO₂ and H₂O"),
        ("the 1<sup>st</sup> brigade", "the 1st brigade"),  # no raised letters: as it is
        ("10<sup>-3</sup>", "10⁻³"),
    ],
)
def test_raised_and_lowered_text_reads_as_it_would_on_the_page(html_text: str, shown: str) -> None:
    assert make_teaser(f"<p>{html_text}</p>", None).html == shown


@pytest.mark.parametrize(
    ("preview", "expected"),
    [
        # A chart and its caption, and nothing else.
        ("<figure><img src='https://example.org/c.png'><figcaption>Troops at Mozyr, "
         "<b>3 March</b>.</figcaption></figure>", "Troops at Mozyr, <b>3 March</b>."),
        # A post laid out in a table: cells apart, rows apart.
        ("<table><tr><td>Brigades</td><td>six</td></tr><tr><td>Tanks</td><td>ninety</td></tr>"
         "</table>", "Brigades six\n\nTanks ninety"),
        # An embedded post's quoted text (the embed's own fallback for readers without it).
        ("<div class='embedded-post'><blockquote class='twitter-tweet'><p>Columns seen near "
         "Gomel.</p></blockquote><script src='https://x.example/w.js'></script></div>",
         "Columns seen near Gomel."),
    ],
)  # fmt: skip
def test_prose_only_inside_figures_tables_or_embeds_still_makes_a_teaser(
    preview: str, expected: str
) -> None:
    assert make_teaser(preview, None).html == expected


def test_a_figure_is_left_out_where_there_is_prose_and_a_players_fallback_always() -> None:
    preview = "<p>The text.</p><figure><figcaption>A caption.</figcaption></figure>"
    assert make_teaser(preview, None).html == "The text."
    alone = "<iframe src='https://example.org/v'>Your browser does not support iframes.</iframe>"
    assert make_teaser(alone, None).html == ""


@pytest.mark.parametrize(
    ("preview", "expected"),
    [
        # Abbreviations and initials end no sentence: the cut falls after a real one.
        ("<p>" + "Talks with the U.S. and the F.B.I. in Washington D.C. went on. " * 6
         + "Dr. J. Smith said talks vs. threats would go on for days and days.</p>",
         "went on."),
        # Text without spaces: a Japanese sentence ends at "。".
        ("<p>" + "国境に部隊が集結している。" * 80 + "</p>", "集結している。"),
    ],
)  # fmt: skip
def test_a_cut_falls_at_a_sentences_end(preview: str, expected: str) -> None:
    teaser = make_teaser(preview, None, budget=120)
    assert teaser.cut and teaser.html.endswith(expected), teaser.html


def test_a_long_first_heading_leaves_room_for_the_text() -> None:
    preview = "<h1>" + "A very long heading " * 50 + "</h1><p>The first paragraph.</p>"
    assert make_teaser(preview, None, budget=200).html == "The first paragraph."


def test_words_never_glue_across_blocks_and_embed_fallbacks_are_dropped() -> None:
    preview = (
        "<dl><dt>Term</dt><dd>Meaning</dd></dl><section>One</section><article>Two</article>"
        "<iframe src='https://example.org'>Your browser does not support iframes.</iframe>"
        "<object>Fallback text</object><header>Three</header>"
    )
    text = make_teaser(preview, None).html
    assert "TermMeaning" not in text and "OneTwo" not in text
    assert "does not support" not in text and "Fallback" not in text


def test_a_subtitle_that_repeats_the_teaser_is_dropped_and_a_long_one_cut() -> None:
    from briefings.cables.feed import MAX_SUBTITLE, parse_feed

    def feed(description: str, content: str) -> bytes:
        return (
            "<?xml version='1.0'?><rss version='2.0' xmlns:content="
            "'http://purl.org/rss/1.0/modules/content/'><channel><title>t</title><item>"
            "<title>x</title><link>https://example.org/p/x</link><guid>g</guid>"
            f"<description><![CDATA[{description}]]></description>"
            f"<content:encoded><![CDATA[{content}]]></content:encoded></item></channel></rss>"
        ).encode()

    opening = "The opening paragraph of the post, which Substack gives as its description."
    [item] = parse_feed(feed(opening, f"<p>{opening}</p><p>More.</p>"))
    assert item.subtitle is None
    [item] = parse_feed(feed("word " * 400, "<p>Body.</p>"))
    assert item.subtitle is not None and len(item.subtitle) <= MAX_SUBTITLE + 1
    assert item.subtitle.endswith("…")


# Issue 27: each shape below is Substack's markup as it writes it (tests/fixtures/
# substack-shapes.xml holds the same shapes as a whole feed, for `render feed`).
POST = "https://thebismarckcables.substack.com/p/the-post"


def one_item(description: str, content: str) -> FeedItem:
    """The one item of a feed in Substack's shape, read as a poll reads it."""
    body = (
        "<?xml version='1.0' encoding='UTF-8'?><rss version='2.0' xmlns:content="
        "'http://purl.org/rss/1.0/modules/content/'><channel><title>t</title><item>"
        f"<title>The post</title><link>{POST}</link><guid isPermaLink='false'>{POST}</guid>"
        f"<description><![CDATA[{description}]]></description>"
        f"<content:encoded><![CDATA[{content}]]></content:encoded></item></channel></rss>"
    ).encode()
    [item] = parse_feed(body)
    return item


@pytest.mark.parametrize(
    ("subtitle", "content"),
    [
        # The opening is a list: the teaser's "• " against the subtitle's plain text.
        ("Three things to watch: the garrisons, the rail lines and Moscow's patience.",
         "<ul><li><p>Three things to watch: the garrisons, the rail lines and Moscow's "
         "patience.</p></li><li><p>Why each matters.</p></li></ul>"),
        # Straight against curly apostrophes, a hyphen against a dash.
        ("Minsk's rail lines - and Moscow's patience",
         "<p>Minsk’s rail lines – and Moscow’s patience. Both matter.</p>"),
        # A summary trimmed with "…" (mid-word) and with "Read More Here →".
        ("The garrison at Mozyr doubled in a month, and the officers who came with it are no…",
         "<p>The garrison at Mozyr doubled in a month, and the officers who came with it are "
         "not the usual ones.</p>"),
        ("The garrison at Mozyr doubled in a month. Read More Here →",
         "<p>The garrison at Mozyr doubled in a month. Its officers are new.</p>"),
        # Found inside the teaser, not at its start.
        ("the garrison at Mozyr doubled in a month",
         "<p>Before anything else: the garrison at Mozyr doubled in a month.</p>"),
    ],
)  # fmt: skip
def test_a_subtitle_a_reader_reads_as_the_teaser_again_is_left_out(
    subtitle: str, content: str
) -> None:
    assert one_item(subtitle, content).subtitle is None


def test_a_subtitle_that_says_something_else_stays() -> None:
    item = one_item("Why Lukashenko gambles", "<p>The garrison at Mozyr doubled.</p>")
    assert item.subtitle == "Why Lukashenko gambles"


YOUTUBE = (
    '<div id="youtube2-x1" class="youtube-wrap" data-attrs="{&quot;videoId&quot;:&quot;x1'
    '&quot;}" data-component-name="Youtube2ToDOM"><div class="youtube-inner"><iframe src='
    '"https://www.youtube-nocookie.com/embed/x1?rel=0&amp;autoplay=0" frameborder="0" '
    'allowfullscreen="true">Your browser does not support iframes.</iframe></div></div>'
)


def test_an_iframes_fallback_never_reaches_the_teaser_through_the_feed() -> None:
    item = one_item("What the footage shows", YOUTUBE + "<p>Watch the columns above.</p>")
    assert item.teaser_html == "Watch the columns above."
    # Markup a sanitiser already flattened: the fallback glued to the next word.
    flat = "<div><p>Your browser does not support iframes.Watch the columns above.</p></div>"
    assert make_teaser(flat, POST).html == "Watch the columns above."
    embedded = "<object data='x.swf'><p>Your browser does not support this.</p></object><p>A.</p>"
    assert make_teaser(embedded, POST).html == "A."


def test_a_figures_caption_and_image_credit_never_open_a_teaser() -> None:
    figure = (
        '<div class="captioned-image-container"><figure><a class="image-link image2" '
        'href="https://substackcdn.com/image/fetch/b.jpg"><div class="image2-inset"><picture>'
        '<img src="https://substackcdn.com/image/fetch/b.jpg" alt=""/></picture></div></a>'
        '<figcaption class="image-caption">Columns near Mozyr. Image by Reuters</figcaption>'
        "</figure></div>"
    )
    for credit in ("<p><em>Image by the Belarusian Ministry of Defence</em></p>",
                   "<p>Photo: Reuters</p>", "<p>© Reuters, 2024</p>"):  # fmt: skip
        item = one_item("Pictures", figure + credit + "<p>The pictures were taken on Tuesday.</p>")
        assert item.teaser_html == "The pictures were taken on Tuesday.", credit


SENTENCES = (
    "The brigades moved at night, in columns that stretched for kilometres along the road. "
    "Officials said the movement was an exercise. Nobody at the border believed them. "
)


def test_a_teaser_never_ends_on_a_substack_subhead() -> None:
    preview = (
        f"<p>{SENTENCES * 3}</p><p><strong>The northern front</strong></p><p>{SENTENCES * 4}</p>"
    )
    teaser = make_teaser(preview, POST, budget=700)
    assert teaser.cut and "The northern front" not in teaser.html
    assert teaser.html.endswith("believed them.")
    # A subhead with text after it that fits stays, in bold, as a heading.
    short = "<p>One.</p><p><strong>The northern front</strong></p><p>Two.</p>"
    assert make_teaser(short, POST).html == "One.\n\n<b>The northern front</b>\n\nTwo."


def test_substack_list_items_keep_their_bullets() -> None:
    preview = (
        "<p>Watch:</p><ul><li><p>The rail lines.</p></li><li><p><strong>Fuel</strong> depots."
        "</p><p>Their second paragraph.</p></li></ul><ol><li><p>First.</p></li></ol>"
    )
    assert make_teaser(preview, POST).html == (
        "Watch:\n\n• The rail lines.\n\n• <b>Fuel</b> depots.\n\nTheir second paragraph."
        "\n\n• First."
    )


def test_a_long_first_heading_and_a_paragraph_that_does_not_fit_cut_at_a_sentence() -> None:
    heading = "Belarus, its army and what the last month of movements tells us " * 6
    preview = f"<h2>{heading}</h2><p>{SENTENCES * 5}</p>"
    teaser = make_teaser(preview, POST)
    text = visible_text(teaser.html)
    heading_shown, paragraph = text.split("\n\n")
    assert heading_shown == heading.strip() and paragraph.startswith("The brigades moved")
    assert paragraph.endswith(("exercise.", "believed them.", "the road.")), paragraph
    assert len(text) <= TEASER_BUDGET
    # A heading that leaves no room for a sentence gives way to the paragraph.
    crowded = f"<h2>{'A heading that goes on ' * 29}</h2><p>{SENTENCES * 5}</p>"
    assert visible_text(make_teaser(crowded, POST).html).endswith("believed them.")


def test_no_cut_after_a_lower_case_abbreviation_or_inside_a_quotation() -> None:
    abbreviated = "<p>" + "A spokesman for the gov. said the units would go back. " * 4 + "</p>"
    assert make_teaser(abbreviated, POST, budget=90).html.endswith("would go back.")
    quoted = (
        "<p>The minister said it plainly. He told the crowd “We will not attack. We have no "
        "reason to. Our troops are here to train.” Few believed him.</p>"
    )
    teaser = make_teaser(quoted + "<p>" + SENTENCES * 9 + "</p>", POST, budget=120)
    assert teaser.html == "The minister said it plainly."
    whole = make_teaser(quoted + "<p>" + SENTENCES * 9 + "</p>", POST, budget=130)
    assert whole.html.endswith("to train.”")


@pytest.mark.parametrize(
    "hostile",
    [
        "<p>Hello there.</p>" + "<a " * 140_000,  # 400 KB of an unfinished tag
        "<p>" + "".join(f'<a href="https://example.org/{n}">link {n} ' for n in range(20_000)),
        "<p>" + "<b>a <i>b</b> c</i> " * 10_000 + "</p>",
        "<p>" + "<b><i>x" * 30_000,
        "<p>" + "<" * 200_000 + "</p>",
    ],
    ids=["unfinished-a", "unclosed-links", "misnested", "unclosed-marks", "bare-lt"],
)
@CPU  # timed
def test_hostile_markup_is_never_shown_and_stays_within_telegrams_limits(hostile: str) -> None:
    started = time.perf_counter()
    item = one_item("Hostile", hostile)
    elapsed = time.perf_counter() - started
    assert elapsed < 2, elapsed  # linear: html.parser took minutes on the first of these
    teaser = item.teaser_html
    check_html(teaser)
    assert entity_count(teaser) <= MAX_TEASER_ENTITIES
    assert not re.search(r"<\s*/?\s*[a-z]", visible_text(teaser).replace("<<", ""))
    assert "<a" not in visible_text(teaser)


@CPU  # timed
async def test_hostile_markup_parsed_beside_the_event_loop_holds_it_up_less_than_15_ms() -> None:
    # As a poll parses it (asyncio.to_thread, with the bot's 1 ms switch interval), while the
    # loop ticks every millisecond as it does answering readers.
    body = (
        "<?xml version='1.0'?><rss version='2.0' xmlns:content='http://purl.org/rss/1.0/"
        f"modules/content/'><channel><title>t</title><item><title>x</title><link>{POST}</link>"
        f"<content:encoded><![CDATA[<p>Hi.</p>{'<a ' * 140_000}]]></content:encoded></item>"
        "</channel></rss>"
    ).encode()
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.001)
    worst, parsed = 0.0, asyncio.create_task(asyncio.to_thread(parse_feed, body))
    try:
        last = time.perf_counter()
        while not parsed.done():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            worst, last = max(worst, now - last), now
        [item] = await parsed
    finally:
        sys.setswitchinterval(interval)
    assert item.teaser_html == "Hi."
    assert worst < 0.015, worst
