"""Teasers from realistic Substack feeds: paid and free posts, images, footnotes, hostile text."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefings.cables.feed import FeedError, parse_feed
from briefings.cables.teaser import make_teaser
from briefings.rendering.telegram_html import visible_text
from tests.fake_feed import fixture
from tests.telegram_html_check import check_html

# A real Substack feed (pennspark.substack.com, 18 free posts), copied from shared/feeds.
REAL_SUBSTACK = Path(__file__).parent / "fixtures" / "substack-real-free-posts.xml"


def items(name: str) -> dict[str, object]:
    return {item.slug: item for item in parse_feed(fixture(name))}


def test_a_paid_posts_read_more_marker_is_not_in_the_teaser() -> None:
    cable = items("bismarck-feed-v1.xml")["fixture-cable-a"]
    assert cable.paid is True  # type: ignore[attr-defined]
    assert cable.teaser_html == "The public preview of the paid fixture. It has two sentences."  # type: ignore[attr-defined]
    assert cable.subtitle == "The paid post's subtitle"  # type: ignore[attr-defined]


def test_a_free_post_keeps_text_and_links_and_drops_media_widgets_and_footnotes() -> None:
    cable = items("bismarck-feed-v1.xml")["fixture-cable-b"]
    teaser = cable.teaser_html  # type: ignore[attr-defined]
    check_html(teaser)
    assert cable.paid is False  # type: ignore[attr-defined]
    assert 'with <b>bold</b>, <i>italic</i> and a <a href="https://example.org/source">' in teaser
    text = visible_text(teaser)
    for absent in ("Caption", "Widget text", "Footnote text", "Subscribe", "map.png", "<p>"):
        assert absent not in text and absent not in teaser
    # Links to the post itself, or "Read more" links that are not the last element, stay.
    assert "this very post" in text
    assert "A closing paragraph after an unrelated Read more link." in text


def test_title_and_preview_text_stay_literal() -> None:
    cable = items("bismarck-feed-v2.xml")["fixture-cable-c"]
    assert cable.title == 'Lukashenko\'s calculus & the "second front" <analysis>'  # type: ignore[attr-defined]
    teaser = cable.teaser_html  # type: ignore[attr-defined]
    check_html(teaser)
    assert "troops &amp; tanks &lt;massed&gt; at the border" in teaser
    assert "alert" not in teaser and "iframe" not in teaser
    assert "<b>A heading in the preview</b>" in teaser
    assert cable.paid is True  # type: ignore[attr-defined]


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
    from briefings.cables.feed import FeedError, parse_feed
    from tests.fake_feed import fixture

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
