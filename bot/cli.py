"""The cables-bot command line: run the bot, or render a briefing without Telegram."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from telegram.error import InvalidToken, NetworkError

from bot import draft_command, render_feed
from bot.maintenance import BackupRefused, backup, health_problems
from bot.plumbing.interpreter import favour_the_event_loop, freeze_startup_heap
from bot.plumbing.logs import setup_logging
from bot.settings import Settings, SettingsError, load_settings
from briefings.database import DatabaseProblem
from briefings.facts.store import FactStore
from briefings.rendering.chart_data import load_forces_chart
from briefings.rendering.renderer import BriefingRenderer
from briefings.schema import open_database
from briefings.situations import Situations

log = logging.getLogger("bot")

EXIT_BAD_SETTINGS = 2
EXIT_FAILED = 1


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen command; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "draft":
        return draft_command.run(args)  # reads no settings: no database, no Telegram
    try:
        settings = load_settings(
            require_token=args.command == "run",
            require_webhook=args.command == "run" and args.webhook,
        )
    except SettingsError as exc:
        for problem in exc.problems:
            print(f"cables-bot: setting {problem}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    try:
        if args.command == "run":
            return run(settings, webhook=args.webhook)
        if args.command == "check":
            return check(settings, args.max_poll_age, args.skip_poll)
        if args.command == "backup":
            return backup_to(settings, args.file)
        if args.command == "try":
            return try_in_terminal(settings, args)
        if args.section == "feed":
            return render_feed.run(settings, args)
        if args.sources:
            print("cables-bot render: only `render feed` reads feeds", file=sys.stderr)
            return EXIT_BAD_SETTINGS
        return asyncio.run(render(settings, args.section, args.png, args.situation))
    except BackupRefused as exc:
        print(f"cables-bot: backup: {exc}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    except (DatabaseProblem, sqlite3.Error, OSError) as exc:
        print(f"cables-bot: database {settings.database_path}: {exc}", file=sys.stderr)
        return EXIT_FAILED


def run(settings: Settings, *, webhook: bool = False) -> int:
    """Run the bot with long polling (or a webhook) until interrupted."""
    # imported here: `render` needs no Telegram stack
    from bot.app import build_application
    from bot.lifecycle import BotApiUnreachable, run_polling

    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    setup_logging(settings.log_level, secrets=[settings.token, secret])
    # The interpreter tuned for the bot's event loop (bot/plumbing/interpreter.py): a thread
    # lets go of the GIL sooner, and what start-up built is no longer walked by the garbage
    # collector. Both act on the whole process, so they are set here, where the process is
    # the bot's alone until it exits, and never by an Application (a test process runs many).
    favour_the_event_loop()
    app = build_application(settings, webhook=webhook, after_start_up=freeze_startup_heap)
    try:
        if webhook:
            from bot.web.server import serve_webhook  # the web server only where it serves

            log.info("webhook mode listen=%s:%s", settings.webhook_listen, settings.webhook_port)
            asyncio.run(serve_webhook(app, settings))
        else:
            run_polling(app, settings.boot_retry_seconds)
    except InvalidToken:
        log.error("Telegram rejected TELEGRAM_BOT_TOKEN: check it with @BotFather")
        return EXIT_FAILED
    except BotApiUnreachable as exc:
        log.error("%s", exc)  # each retry was logged as it came (bot/lifecycle.py)
        return EXIT_FAILED
    except NetworkError as exc:
        log.error("could not reach the Bot API at TELEGRAM_API_URL: %s", exc.message)
        return EXIT_FAILED
    return 0


def check(settings: Settings, max_poll_age: float | None, skip_poll: bool) -> int:
    """Exit 0 if the database is usable and current and the feed was polled lately."""
    limit = None if skip_poll else max_poll_age or settings.feed_poll_seconds * 3 + 60
    problems = health_problems(settings.database_path, limit)
    for problem in problems:
        print(f"cables-bot check: {problem}", file=sys.stderr)
    if not problems:
        print("ok")
    return EXIT_FAILED if problems else 0


def backup_to(settings: Settings, target: str) -> int:
    """Write a consistent copy of the database to target, even while the bot runs: a file, or
    a directory to put one in (named with a trailing slash, it is created)."""
    where = Path(target)
    if target.endswith(("/", os.sep)):
        where.mkdir(parents=True, exist_ok=True)
    written, pages = backup(settings.database_path, where)
    print(f"backed up {settings.database_path} to {written} ({pages} pages)")
    return 0


async def render(
    settings: Settings, section: str, png: Path | None = None, slug: str | None = None
) -> int:
    """Print a briefing exactly as the bot sends it, from the same database; with png, write
    the chart the bot sends with it there too."""
    db = await open_database(settings.database_path)
    try:
        situations = Situations(db)
        situation = await situations.get(slug) if slug else await situations.current()
        if situation is None:
            known = ", ".join(s.id for s in await situations.all())
            print(f"cables-bot: no situation {slug!r} (there are: {known})", file=sys.stderr)
            return EXIT_BAD_SETTINGS
        if situation.section(section) is None:
            names = ", ".join(s.name for s in situation.sections)
            print(f"cables-bot: no section {section!r} in {situation.id} (its sections: {names})",
                  file=sys.stderr)  # fmt: skip
            return EXIT_BAD_SETTINGS
        chosen = situation.section(section)
        if png is not None and chosen is not None and chosen.kind != "figures":
            print("cables-bot: --png: only a figures section (forces) has a chart",
                  file=sys.stderr)  # fmt: skip
            return EXIT_BAD_SETTINGS
        store = FactStore(db, situation.id, situations)
        briefing = await BriefingRenderer(store).render(section)
        chart = await load_forces_chart(store) if png is not None else None
    finally:
        await db.close()
    if png is not None and chart is not None:
        # matplotlib: imported only when a chart is asked for
        from briefings.rendering.chart import render_forces_chart

        png.write_bytes(render_forces_chart(chart))
        print(f"cables-bot: wrote the {section} chart to {png}", file=sys.stderr)
    print(briefing.text)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cables-bot", description="Telegram briefings from The Bismarck Cables."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run_parser = commands.add_parser("run", help="run the bot (long polling by default)")
    run_parser.add_argument(
        "--webhook", action="store_true",
        help="take updates on a webhook (settings WEBHOOK_URL, _LISTEN, _PORT, _SECRET)",
    )  # fmt: skip
    render_parser = commands.add_parser(
        "render", help="print a briefing exactly as the bot sends it"
    )
    render_parser.add_argument(
        "section", help="a section of the situation: brief, forces, ...; or feed, with feeds"
    )
    render_feed.add_arguments(render_parser)
    render_parser.add_argument(
        "--situation", metavar="SLUG", help="another situation than the one readers get"
    )
    render_parser.add_argument(
        "--png", type=Path, metavar="FILE", help="forces only: also write its chart, as a PNG"
    )
    check_parser = commands.add_parser(
        "check", help="exit 0 if the database is current and the feed was polled lately"
    )
    check_parser.add_argument(
        "--max-poll-age", type=float, metavar="SECONDS",
        help="oldest acceptable feed poll (default: 3 x FEED_POLL_SECONDS + 60)",
    )  # fmt: skip
    check_parser.add_argument(
        "--skip-poll", action="store_true", help="check the database only (no running bot)"
    )
    backup_parser = commands.add_parser(
        "backup", help="copy the database (safe while the bot runs)"
    )
    backup_parser.add_argument(
        "file", help="where to write the copy: a file, or a directory to put a dated one in"
    )
    try_parser = commands.add_parser(
        "try", help="chat with the bot in this terminal: no token, no network, no live data"
    )
    try_parser.add_argument(
        "--editor", action="store_true", help="be an editor: rehearse /set, /add, /undo ..."
    )
    try_parser.add_argument("--as", dest="user_id", type=int, default=1001, metavar="USER_ID",
                            help="the Telegram user id to be (default 1001)")  # fmt: skip
    try_parser.add_argument("--group", action="store_true", help="chat in a group, not privately")
    try_parser.add_argument(
        "--database", type=Path, metavar="PATH",
        help="try on a copy of this database (the file itself is never written)",
    )  # fmt: skip
    try_parser.add_argument(
        "--feed", metavar="URL", help="poll this feed (by default the feed is not read)"
    )
    draft_command.add_parser(commands)
    return parser


def try_in_terminal(settings: Settings, args: argparse.Namespace) -> int:
    """`cables-bot try`: the real bot against a local Bot API, chatting in this terminal."""
    from bot.sandbox.tryout import TryOptions, terminal_lines, try_bot

    setup_logging("WARNING", secrets=[])
    options = TryOptions(
        user_id=args.user_id, editor=args.editor, group=args.group,
        database=args.database, feed=args.feed,
    )  # fmt: skip
    try:
        return asyncio.run(try_bot(settings, options, terminal_lines(sys.stdin), sys.stdout))
    except KeyboardInterrupt:
        return 0
