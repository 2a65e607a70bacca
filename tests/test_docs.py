"""The command list, the menu, /help, README and .env.example stay in step."""

from __future__ import annotations

import ast
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
    assert [c.command for c in menu(PUBLIC_COMMANDS)] == [c.name for c in PUBLIC_COMMANDS]


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


def test_readme_layout_names_every_folder_and_module() -> None:
    layout = README.split("## Layout", 1)[1]
    for package in ("bot", "briefings"):
        for folder in sorted((ROOT / package).iterdir()):
            if not (folder / "__init__.py").is_file():
                continue
            assert f"`{folder.name}/`" in layout, folder.name
            docstring = ast.get_docstring(ast.parse((folder / "__init__.py").read_text()))
            assert docstring and len(docstring.splitlines()) == 1, folder  # what it holds
        for module in sorted((ROOT / package).rglob("*.py")):
            if module.name not in ("__init__.py", "__main__.py"):
                assert f"`{module.name}`" in layout, module


def test_the_content_imports_neither_telegram_nor_the_delivery() -> None:
    for module in sorted((ROOT / "briefings").rglob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in ("bot", "telegram"), (module, name)
