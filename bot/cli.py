"""The cables-bot command line: run the bot, or render a briefing without Telegram."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from telegram import Update
from telegram.error import InvalidToken, NetworkError

from bot.logs import setup_logging
from bot.settings import Settings, SettingsError, load_settings
from briefings.render import BriefingRenderer
from briefings.sections import SECTIONS
from briefings.store import FactStore

log = logging.getLogger("bot")

EXIT_BAD_SETTINGS = 2
EXIT_FAILED = 1


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen command; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings(require_token=args.command == "run")
    except SettingsError as exc:
        for problem in exc.problems:
            print(f"cables-bot: setting {problem}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    if args.command == "run":
        return run(settings)
    return asyncio.run(render(settings, args.section))


def run(settings: Settings) -> int:
    """Run the bot with long polling until interrupted."""
    from bot.app import build_application  # imported here: `render` needs no Telegram stack

    setup_logging(settings.log_level, secrets=[settings.token])
    app = build_application(settings)
    try:
        app.run_polling(allowed_updates=Update.ALL_TYPES)
    except InvalidToken:
        log.error("Telegram rejected TELEGRAM_BOT_TOKEN: check it with @BotFather")
        return EXIT_FAILED
    except NetworkError as exc:
        log.error("could not reach the Bot API at TELEGRAM_API_URL: %s", exc.message)
        return EXIT_FAILED
    return 0


async def render(settings: Settings, section: str) -> int:
    """Print a briefing exactly as the bot sends it, from the same database."""
    store = await FactStore.open(settings.database_path)
    try:
        briefing = await BriefingRenderer(store).render(section)
    finally:
        await store.close()
    print(briefing.text)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cables-bot", description="Telegram briefings from The Bismarck Cables."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("run", help="run the bot (long polling)")
    render_parser = commands.add_parser(
        "render", help="print a briefing exactly as the bot sends it"
    )
    render_parser.add_argument("section", choices=[section.name for section in SECTIONS])
    return parser
