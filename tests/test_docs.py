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


# Backticked names in the README that are not paths in the repository: what a run makes.
MADE_WHEN_RUN = {"./data/cables.db"}
_FILE_SUFFIX = re.compile(r"\.(py|md|toml|txt|html|png|json|ya?ml|cfg|ini|example|sh)$")


def _named_paths(text: str) -> list[str]:
    """The backticked names in text that look like paths in the repository: with a "/" or a
    file suffix, and not a URL, a command, an absolute path, a placeholder or a shell line."""
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    names = []
    for name in re.findall(r"`([^`\n]+)`", text):
        if re.search(r"[\s<>?=@*]|://", name) or name.startswith("/"):
            continue
        if ("/" in name or _FILE_SUFFIX.search(name)) and name not in MADE_WHEN_RUN:
            names.append(name)
    return names


def _layout_paths(layout: str) -> list[tuple[str, tuple[str, ...]]]:
    """Each path the Layout names, with where it may be: a name with a "/" inside is from the
    top; a bare name ("store.py", "facts/") is in the folder of the bullet it stands in (the
    folder a bullet opens with, inside its parent's), or, a file, at the top (`BENCHMARKS.md`)."""
    found: list[tuple[str, tuple[str, ...]]] = []
    bullets: list[tuple[int, str]] = []  # (indent, folder) of the bullets we are inside
    parent, text = "", ""

    def flush() -> None:
        folder = bullets[-1][1] if bullets else ""
        opening = _opening_folder(text)
        for name in _named_paths(text):
            if "/" in name.rstrip("/"):
                found.append((name, (name,)))
            elif name == opening:
                found.append((name, (parent + name,)))
            elif name.endswith("/"):
                found.append((name, (folder + name,)))
            else:
                found.append((name, (folder + name, name)))

    for line in layout.splitlines():
        bullet = re.match(r"( *)- ", line)
        if bullet:
            flush()
            indent = len(bullet.group(1))
            while bullets and bullets[-1][0] >= indent:
                bullets.pop()
            parent = bullets[-1][1] if bullets else ""
            bullets.append((indent, parent + (_opening_folder(line) or "")))
            text = line
        elif line.startswith(" ") and bullets:
            text += "\n" + line  # the bullet goes on
        else:
            flush()
            bullets, parent, text = [], "", line
    flush()
    return found


def _opening_folder(bullet: str) -> str | None:
    """The folder a bullet opens with ("- `facts/`: ..."), if it does."""
    opening = re.match(r"\s*- `([\w.-]+/)`", bullet)
    return opening.group(1) if opening else None


def _in_repository(place: str) -> bool:
    path = (ROOT / place).resolve()
    return path.is_relative_to(ROOT.resolve()) and path.exists()


def _stale(readme: str) -> list[str]:
    before, layout = readme.split("## Layout", 1)
    layout, _, after = layout.partition("\n## ")
    wanted: list[tuple[str, tuple[str, ...]]] = [
        (name, (name,)) for name in _named_paths(before + after)
    ]
    wanted += _layout_paths(layout)
    return [
        f"{name} (looked for {' or '.join(places)})"
        for name, places in wanted
        if not any(_in_repository(place) for place in places)
    ]


def test_every_path_the_readme_names_is_in_the_repository() -> None:
    # The whole path: a name outside the Layout is from the top of the repository, and in the
    # Layout a module is in the folder its bullet names (briefings/rendering/, not anywhere).
    assert _stale(README) == []


def test_the_path_check_finds_a_module_in_the_wrong_folder() -> None:
    stale = "## Layout\n\n- `briefings/`: the content.\n  - `rendering/`: (`sections.py`)\n"
    assert _stale("`bot/inline.py` and `../shared/EDITORIAL.md`\n" + stale) == [
        "bot/inline.py (looked for bot/inline.py)",
        "../shared/EDITORIAL.md (looked for ../shared/EDITORIAL.md)",
        "sections.py (looked for briefings/rendering/sections.py or sections.py)",
    ]


def test_every_path_the_editorial_rules_name_is_in_the_repository() -> None:
    rules = (ROOT / "docs" / "EDITORIAL.md").read_text(encoding="utf-8")
    stale = [name for name in _named_paths(rules) if not _in_repository(name)]
    assert stale == []


def test_the_editorial_rules_are_pointed_to_where_a_clone_has_them() -> None:
    # The rules are the project's own, in docs/EDITORIAL.md; a clone has nothing beside it.
    texts = [ROOT / "README.md"] + [
        path
        for folder in ("bench", "bot", "briefings", "docs", "tests")
        for path in sorted((ROOT / folder).rglob("*"))
        if path.suffix in (".md", ".py", ".html", ".toml") and path != Path(__file__)
    ]
    for path in texts:
        text = path.read_text(encoding="utf-8")
        for pointer in re.findall(r"[\w./]*EDITORIAL[\w.]*", text):
            assert pointer.rstrip(".") == "docs/EDITORIAL.md", (path.relative_to(ROOT), pointer)
