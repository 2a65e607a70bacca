"""Drafting's measures (briefings/drafting/): `python -m bench.drafting [--sentences]
[--numbers]`. Prints its figures; they are copied by hand into BENCHMARKS.md (bench/history.md).

- time: a 3,000-word preview (target under 1 s), and 100 KB against 400 KB (linear: x4);
- --sentences: pysbd against the teaser's plain regex splitter, on the first cable's preview
  and every item of the feed fixtures;
- --numbers: the plain rules against quantulum3 on the first cable's figures (quantulum3 is
  not a dependency: `pip install quantulum3` to measure it too).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from briefings.cables.sentences import sentence_ends
from briefings.drafting import CableRef, draft_statements
from briefings.drafting.preview import feed_previews, preview_from_text
from briefings.drafting.quantities import find_quantities
from briefings.drafting.sentences import split_sentences
from briefings.facts.seed import SEED_DIR, read_seed

ROOT = Path(__file__).parent.parent
SEED = SEED_DIR / "cable-001-belarus-troops.toml"
FEEDS = sorted((ROOT / "tests" / "fixtures").glob("*.xml"))


def seed_text() -> str:
    return preview_from_text(SEED.with_suffix(".txt").read_text(encoding="utf-8")).text


def timing() -> None:
    text = seed_text()
    words = len(text.split())
    preview = "\n".join([text] * (3000 // words + 1))
    cable = CableRef("https://example.substack.com/p/bench", "Bench", None)
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        drafts = draft_statements(preview, cable)
        runs.append(time.perf_counter() - started)
    print(f"{len(preview.split())}-word preview: median {statistics.median(runs):.3f} s,"
          f" {len(drafts)} drafts (target < 1 s)")  # fmt: skip
    sizes = {}
    for kilobytes in (100, 400):
        post = "\n".join([text] * (kilobytes * 1024 // len(text) + 1))[: kilobytes * 1024]
        started = time.perf_counter()
        draft_statements(post, cable)
        sizes[kilobytes] = time.perf_counter() - started
        print(f"{kilobytes} KB post: {sizes[kilobytes]:.2f} s")
    print(f"400 KB / 100 KB: {sizes[400] / sizes[100]:.1f} (linear: 4)")


def regex_sentences(paragraph: str) -> list[str]:
    """The teaser's splitter (briefings/cables/sentences.py): a sentence end not after an
    abbreviation, not before a word in lower case, not inside a quotation."""
    found, start = [], 0
    for end in sentence_ends(paragraph, len(paragraph)):
        found.append(paragraph[start:end].strip())
        start = end
    if paragraph[start:].strip():
        found.append(paragraph[start:].strip())
    return [s for s in found if s]


def sentences() -> None:
    texts = [("seed", seed_text())]
    for feed in FEEDS:
        texts += [(cable.url, p.text) for cable, p in feed_previews(feed.read_bytes())]
    for name, text in texts:
        ours = [s.text for s in split_sentences(text)]
        plain = [s for line in text.split("\n") for s in regex_sentences(line)]
        if ours != plain:
            print(f"{name}: pysbd {len(ours)}, regex {len(plain)}")
            for sentence in sorted(set(ours) ^ set(plain))[:6]:
                print(f"   {'pysbd' if sentence in ours else 'regex'}: {sentence[:110]!r}")
    print(f"{len(texts)} texts compared")


def numbers() -> None:
    data = read_seed(SEED)
    figures = [item for item in [*data["facts"], *data["claims"]] if "given" in item
               or isinstance(item.get("value"), int | float)]  # fmt: skip
    text = seed_text()
    lines = [s.text for s in split_sentences(text)]
    ours = [q for line in lines for q in find_quantities(line)]
    print(f"seed figures: {len(figures)}")
    _score("plain rules", figures, [(q.given, q.low) for q in ours])
    try:
        from quantulum3 import parser  # type: ignore[import-not-found]
    except ImportError:
        print("quantulum3: not installed (pip install quantulum3 to measure it)")
        return
    theirs = [(q.surface, q.value) for line in lines for q in parser.parse(line)]
    _score("quantulum3", figures, theirs)


def _seed_number(value: object) -> float | None:
    """A seed figure's number: its value, or a range's low end; None for a value in words."""
    first = value[0] if isinstance(value, list) else value
    return float(first) if isinstance(first, int | float) else None


def _score(name: str, figures: list[dict[str, object]], found: list[tuple[str, object]]) -> None:
    numbers = {n for f in figures if (n := _seed_number(f["value"])) is not None}
    givens = [str(f.get("given") or f["value"]) for f in figures]
    values = {float(v) for _, v in found if isinstance(v, int | float)}
    surfaces = [s for s, _ in found]
    number_hits = sum(1 for n in numbers if n in values)
    word_hits = sum(1 for g in givens if g in surfaces)
    wrong = [s for s, v in found if not any(s in g or g in s for g in givens)]
    print(f"{name}: numbers found {number_hits}/{len(numbers)}, the seed's words exactly"
          f" {word_hits}/{len(givens)}, wrongly found {len(wrong)}: {wrong}")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.drafting")
    parser.add_argument("--sentences", action="store_true")
    parser.add_argument("--numbers", action="store_true")
    args = parser.parse_args()
    if args.sentences:
        sentences()
    if args.numbers:
        numbers()
    if not (args.sentences or args.numbers):
        timing()
