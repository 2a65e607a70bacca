"""What the operator sees: a Bot API unreachable at start retried aloud, then given up in one
line; a database folder the bot may not write named with its user; the image's build context
only what the Dockerfile copies; the README's Docker section true to the Dockerfile."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import pytest

from bot.lifecycle import pauses_within
from tests.auxil.fake_telegram import TOKEN, FakeTelegram
from tests.test_cli import cables_bot, cli_env

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")

# Nothing listens on the discard port (as conftest's feed): each try is refused at once.
NOWHERE = "http://127.0.0.1:9/bot"
NOBODY = 65534  # the user a root test runs the bot as, for a folder root owns
# The words of each retry and of the last line, as the README gives them too.
RETRY = (
    r"could not reach the Bot API at TELEGRAM_API_URL \((?P<what>[^`]+)\): trying again in"
    r" (?P<pause>\d+\.\d) s, (?P<left>\d+) tr(?:y|ies) left"
)
GIVEN_UP = (
    r"could not reach the Bot API at TELEGRAM_API_URL in (?P<tries>\d+) tries over"
    r" (?P<seconds>\d+) s \(BOOT_RETRY_SECONDS\): (?P<what>[^`]+)"
)


def test_the_pauses_grow_by_half_and_end_on_time() -> None:
    assert pauses_within(60) == pytest.approx([1, 1.5, 2.25, 3.375, 5.0625, 7.59375,
                                               11.390625, 17.0859375, 10.7421875])  # fmt: skip
    assert sum(pauses_within(60)) == pytest.approx(60)
    assert max(pauses_within(600)) == 30  # at most 30 s between tries
    assert pauses_within(0) == []  # BOOT_RETRY_SECONDS=0: one try, no retry


@pytest.mark.parametrize("mode", [(), ("--webhook",)], ids=["polling", "webhook"])
async def test_an_unreachable_bot_api_is_retried_aloud_then_given_up_in_one_line(
    tmp_path: Path, mode: tuple[str, ...]
) -> None:
    env = cli_env(
        tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=NOWHERE, BOOT_RETRY_SECONDS="4",
        WEBHOOK_URL="https://bot.example.org/hook", WEBHOOK_SECRET="s3cret" * 6, WEBHOOK_PORT="9",
    )  # fmt: skip
    process = await cables_bot("run", *mode, env=env, cwd=tmp_path)
    assert process.stderr is not None
    lines: list[tuple[float, str]] = []  # each line with when it arrived
    while line := await asyncio.wait_for(process.stderr.readline(), 30):
        lines.append((time.monotonic(), line.decode().rstrip("\n")))
    exited = time.monotonic()
    assert await asyncio.wait_for(process.wait(), 10) == 1
    log = "\n".join(text for _, text in lines)
    assert "Traceback" not in log and TOKEN.partition(":")[2] not in log

    retry = re.compile(f" WARNING bot\\.lifecycle: {RETRY}$")
    retries = [(at, found) for at, text in lines if (found := retry.search(text))]
    # Each retry says what failed, the pause and the tries left, in the README's words. The
    # last pause is what is left of the 4 s (each try takes a moment of it).
    pauses = [float(m["pause"]) for _, m in retries]
    assert pauses == pytest.approx([1.0, 1.5, 1.5], abs=0.25), log
    assert [int(m["left"]) for _, m in retries] == [3, 2, 1]
    assert all("127.0.0.1:9" in m["what"] for _, m in retries)
    readme = " ".join(README.split())
    assert re.search(f"`{RETRY}`", readme) and re.search(f"`{GIVEN_UP}`", readme)
    # ... logged as it happens: each line a pause after the one before, not all at the exit.
    times = [at for at, _ in retries] + [exited]
    for before, after, pause in zip(times[:-1], times[1:], pauses, strict=True):
        assert after - before >= pause * 0.9
    # Given up in one ERROR line, the last, about BOOT_RETRY_SECONDS after the first try.
    given_up = re.search(f" ERROR bot: {GIVEN_UP}$", lines[-1][1])
    assert given_up is not None, lines[-1][1]
    assert (given_up["tries"], given_up["seconds"]) == ("4", "4")
    assert "127.0.0.1:9" in given_up["what"]
    assert sum(" ERROR " in text for _, text in lines) == 1
    assert 4 * 0.9 <= exited - retries[0][0] <= 4 * 1.5 + 2


@contextmanager
def folder_others_may_enter() -> Iterator[Path]:
    # pytest's tmp_path is inside a folder private to root, which another user cannot enter.
    folder = Path(tempfile.mkdtemp(prefix="cables-operator-"))
    try:
        folder.chmod(0o755)
        yield folder
    finally:
        shutil.rmtree(folder)


async def test_a_database_folder_the_bot_may_not_write_is_named_with_its_user(
    tmp_path: Path, telegram: FakeTelegram
) -> None:
    # A bind mount owned by root, and the bot running as another user (the image's cables).
    as_root = os.getuid() == 0
    uid = NOBODY if as_root else os.getuid()
    user = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"] if as_root else []
    if as_root and not _runs_as(user):
        pytest.skip("running as root, and Python cannot be run here as another user")
    with folder_others_may_enter() if as_root else nullcontext(tmp_path) as place:
        data = place / "data"
        data.mkdir(mode=0o755 if as_root else 0o500)  # root's, or its owner's but read-only
        cache = place / "matplotlib"  # the bot's user's own, as the image's /tmp/matplotlib
        cache.mkdir()
        if as_root:
            os.chown(cache, uid, uid)
        env = cli_env(place, telegram, DATABASE_PATH=str(data / "cables.db"),
                      MPLCONFIGDIR=str(cache))  # fmt: skip
        try:
            process = await asyncio.create_subprocess_exec(
                *user, sys.executable, "-m", "bot", "run", env=env, cwd=place,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            _, stderr = await asyncio.wait_for(process.communicate(), 60)
        finally:
            data.chmod(0o755)
    log = stderr.decode()
    assert process.returncode == 1, log
    assert "Traceback" not in log and "Permission denied" not in log
    last = log.strip().splitlines()[-1]
    assert last.startswith(f"cables-bot: database {data}/cables.db: {data} is not writable by")
    assert last.endswith(f"uid {uid}, the user the bot runs as: chown {uid} {data}") or (
        f"uid {uid} (" in last and last.endswith(f"runs as: chown {uid} {data}")
    )


def _runs_as(user: list[str]) -> bool:
    if shutil.which("setpriv") is None:
        return False
    probe = subprocess.run([*user, sys.executable, "-c", "import bot"], capture_output=True)
    return probe.returncode == 0


# --- the image: its build context, and what the README says of its user and volumes ---


def _ignored(path: str, patterns: list[str]) -> bool:
    """Whether Docker leaves path out of the build context: the last pattern that matches it
    or a folder above it decides (`*` within one name, `**` across folders, `!` keeps)."""
    parts = path.split("/")
    above = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    ignored = False
    for pattern in patterns:
        keep = pattern.startswith("!")
        glob = pattern.removeprefix("!").strip("/")
        regex = re.escape(glob).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*")
        regex = regex.replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        regex = re.sub(r"\\\[(.*?)\\]", r"[\1]", regex)  # a [set] stays a set
        if any(re.fullmatch(regex, place) for place in above):
            ignored = not keep
    return ignored


def _dockerignore() -> list[str]:
    text = (ROOT / ".dockerignore").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def _copied() -> list[str]:
    """Every source path of the Dockerfile's COPY lines (not a --from=stage's)."""
    sources: list[str] = []
    for line in DOCKERFILE.splitlines():
        words = line.split()
        if words[:1] == ["COPY"] and not any(w.startswith("--from") for w in words):
            sources += [w for w in words[1:-1] if not w.startswith("--")]
    return sources


def _tracked(under: str) -> list[str]:
    listed = subprocess.run(["git", "ls-files", under], cwd=ROOT, capture_output=True,
                            text=True, check=True)  # fmt: skip
    return listed.stdout.split()


def test_the_build_context_is_what_the_dockerfile_copies() -> None:
    patterns = _dockerignore()
    copied = _copied()
    assert {"pyproject.toml", "README.md", "bot", "briefings"} <= set(copied)
    for source in copied:
        files = _tracked(source) if (ROOT / source).is_dir() else [source]
        assert files, source
        kept_out = [name for name in files if _ignored(name, patterns)]
        assert kept_out == [], f"COPY {source}: .dockerignore leaves out {kept_out[:5]}"
    for unwanted in (".git/HEAD", ".venv/bin/python", "data/cables.db", "tests/test_cli.py",
                     "bench/__main__.py", ".mypy_cache/x", "docs/EDITORIAL.md", ".env",
                     "BENCHMARKS-b8.png", "bot/__pycache__/app.cpython-311.pyc"):  # fmt: skip
        assert _ignored(unwanted, patterns), unwanted


def test_the_ignore_rules_are_read_as_docker_reads_them() -> None:
    patterns = ["*", "!bot/", "**/__pycache__", "!keep/**/x.py[co]"]
    assert _ignored(".git/objects/ab", patterns) and _ignored("setup.cfg", patterns)
    assert not _ignored("bot/app.py", patterns) and _ignored("bot/__pycache__/a.pyc", patterns)
    assert not _ignored("keep/a/b/x.pyc", patterns) and _ignored("keep/a/b/x.py", patterns)


def test_the_readme_says_how_to_mount_data_for_the_images_user() -> None:
    uid = re.search(r"useradd [^\n]*--uid (\d+)", DOCKERFILE)
    assert uid is not None
    docker = README.split("## Docker", 1)[1].split("\n## ", 1)[0]
    assert "-v cables-data:/data" in docker  # a named volume
    assert "-v /srv/cables:/data" in docker and f"chown {uid[1]} /srv/cables" in docker
    assert f"uid {uid[1]}" in docker
