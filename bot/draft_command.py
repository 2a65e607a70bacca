"""`cables-bot draft <url-or-file>... [--json]`: a cable's drafted statements, for review.

Each argument is a post page (an HTML file or its URL), a feed (RSS or Atom: every item is
drafted) or a preview kept as text (the seed's shape: the title on the first line, the
subtitle on the second). No Telegram: the drafts are printed, never stored. With
`--situation SLUG` the database's situation gives its sides (what one says is its claim) and
its facts (a draft of one with another value is a change to it).

The readable form, one block per cable, then one line per draft and its quote:

    == <title> <address> (<n> drafts)
    [<kind>] <section> · <label>: <value> (<whose>)
        “<quote>”

where <whose> is "per the cable", "<who>, per the cable" (cited), "<who> claims" (a side)
or "per the editors"; a change to a fact the situation has ends with "changes <key>".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import httpx

from bot.settings import SettingsError, load_settings
from briefings.cables.feed import FeedError
from briefings.cables.ingest import FETCH_TIMEOUT, USER_AGENT
from briefings.drafting import CableRef, Draft, draft_statements
from briefings.drafting.preview import (
    Preview,
    feed_previews,
    preview_from_html,
    preview_from_text,
)
from briefings.drafting.review import whose
from briefings.facts.models import Claim, Fact
from briefings.facts.store import FactStore
from briefings.schema import open_database
from briefings.situations import Situation, Situations

EXIT_FAILED = 1
# A loopback address is reached directly, whatever HTTP(S)_PROXY says (as the feed's poll).
_DIRECT: dict[str, Any] = {"all://127.0.0.1": None, "all://localhost": None, "all://[::1]": None}


def add_parser(commands: Any) -> None:
    """The `draft` subcommand, on the CLI's subparsers."""
    parser = commands.add_parser(
        "draft", help="print the statements drafted from posts or feeds, for review"
    )
    parser.add_argument(
        "sources", nargs="+", metavar="URL_OR_FILE",
        help="a post page or a feed (URL or file), or a preview as text",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="one JSON object per draft a line")
    parser.add_argument(
        "--situation", metavar="SLUG",
        help="draft for this situation of the database: its sides' claims, changes to its facts",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Draft every source and print the drafts; exit 1 if a source could not be read."""
    known = asyncio.run(_situation(args.situation)) if args.situation else None
    if isinstance(known, str):
        print(f"cables-bot draft: {known}", file=sys.stderr)
        return EXIT_FAILED
    situation, facts, claims = known or (None, [], [])
    failed = False
    for source in args.sources:
        try:
            cables = read_source(source)
        except (OSError, httpx.HTTPError, FeedError, UnicodeDecodeError) as exc:
            print(f"cables-bot draft: {source}: {exc}", file=sys.stderr)
            failed = True
            continue
        for cable, preview in cables:
            drafts = draft_statements(preview.text, cable, situation, facts, claims)
            if args.json:
                for draft in drafts:
                    print(json.dumps(draft.as_dict(), ensure_ascii=False))
            else:
                print(readable(cable, drafts))
    return EXIT_FAILED if failed else 0


def read_source(source: str) -> list[tuple[CableRef, Preview]]:
    """The cables in a source, each with its preview's text."""
    if source.startswith(("http://", "https://")):
        with httpx.Client(timeout=FETCH_TIMEOUT, follow_redirects=True, mounts=_DIRECT,
                          headers={"User-Agent": USER_AGENT}) as client:  # fmt: skip
            response = client.get(source)
            response.raise_for_status()
        body, address = response.content, str(response.url)
    else:
        path = Path(source)
        body, address = path.read_bytes(), path.resolve().as_uri()
    head = body[:2000].lstrip().lower()
    if head.startswith((b"<?xml", b"<rss", b"<feed")) or b"<rss" in head:
        return feed_previews(body)
    text = body.decode("utf-8")
    preview = preview_from_text(text) if source.endswith(".txt") else preview_from_html(text)
    url = preview.url if preview.url and not source.startswith("http") else address
    return [(CableRef(url, preview.title, preview.subtitle, None, preview.paid), preview)]


async def _situation(slug: str) -> tuple[Situation, list[Fact], list[Claim]] | str:
    """The situation's sides and live facts and claims, or why they cannot be read."""
    try:
        settings = load_settings(require_token=False)
    except SettingsError as exc:
        return "; ".join(f"setting {problem}" for problem in exc.problems)
    db = await open_database(settings.database_path)
    try:
        situations = Situations(db)
        situation = await situations.get(slug)
        if situation is None:
            known = ", ".join(s.id for s in await situations.all())
            return f"no situation {slug!r} (there are: {known})"
        store = FactStore(db, situation.id, situations)
        facts = await store.facts()
        return situation, facts, await store.claims(facts)
    finally:
        await db.close()


def readable(cable: CableRef, drafts: list[Draft]) -> str:
    """The drafts as an editor reviews them (the layout is in this module's docstring)."""
    lines = [f"== {cable.title or '(no title)'} {cable.url} ({len(drafts)} drafts)"]
    for draft in drafts:
        shown = draft.unit and not draft.value.endswith(draft.unit)
        unit = f" [unit: {draft.unit}]" if shown else ""
        change = f" changes {draft.changes}" if draft.changes else ""
        lines.append(f"[{draft.kind}] {draft.section} · {draft.label}: {draft.value}{unit}"
                     f" ({whose(draft)}){change}")  # fmt: skip
        lines.append(f"    “{' '.join(draft.quote.split())}”")
    return "\n".join(lines)
