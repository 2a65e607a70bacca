"""The command list, the menu, /help, README and .env.example stay in step."""

from __future__ import annotations

import re
from pathlib import Path

from telegram.ext import CommandHandler, ConversationHandler

from bot.app import build_application
from bot.commands import EDITOR_COMMANDS, PUBLIC_COMMANDS, menu
from bot.settings import Settings

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_command_has_a_handler_and_a_menu_entry(settings: Settings) -> None:
    app = build_application(settings)
    handlers = [handler for group in app.handlers.values() for handler in group]
    for conversation in [h for h in handlers if isinstance(h, ConversationHandler)]:
        handlers += conversation.entry_points
    handled = {
        name for handler in handlers if isinstance(handler, CommandHandler)
        for name in handler.commands
    }  # fmt: skip
    assert handled == {command.name for command in (*PUBLIC_COMMANDS, *EDITOR_COMMANDS)}
    assert [c.command for c in menu()] == [c.name for c in PUBLIC_COMMANDS]


def test_readme_table_lists_every_command_as_the_bot_describes_it() -> None:
    rows = re.findall(r"^\| `/(\w+)` \| (.+?) \|$", README, flags=re.MULTILINE)
    commands = (*PUBLIC_COMMANDS, *EDITOR_COMMANDS)
    assert rows == [(c.name, c.description.replace("|", "\\|")) for c in commands]


def test_every_setting_is_documented_in_readme_and_env_example() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for field in Settings.model_fields:
        name = field.upper()
        assert f"| `{name}` |" in README, name
        assert re.search(rf"^{name}=", example, flags=re.MULTILINE), name


def test_ci_runs_the_readme_test_command() -> None:
    command = re.search(r"Run the tests:\n\n```sh\n(.+)\n```", README)
    assert command is not None
    assert command.group(1) in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
