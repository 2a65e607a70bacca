"""Settings: read from the environment, checked, and never echoing the token."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings
from tests.auxil.fake_telegram import TOKEN

ALL_SETTINGS = (
    "TELEGRAM_BOT_TOKEN", "TELEGRAM_API_URL", "DATABASE_PATH", "ADMIN_IDS", "TRIAL_URL",
    "FEED_URL", "FEED_POLL_SECONDS", "BROADCAST_RATE", "LOG_LEVEL",
)  # fmt: skip


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ALL_SETTINGS:
        monkeypatch.delenv(name, raising=False)


def test_defaults_need_only_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    settings = load_settings(require_token=True, env_file=None)
    assert settings.token == TOKEN
    assert settings.telegram_api_url == "https://api.telegram.org/bot"
    assert settings.api_file_url == "https://api.telegram.org/file/bot"
    assert settings.database_path == Path("data/cables.db")
    assert settings.trial_url == "https://thebismarckcables.substack.com/subscribe"
    assert settings.feed_url == "https://thebismarckcables.substack.com/feed"
    assert settings.admin_ids == frozenset()
    assert TOKEN not in repr(settings)


def test_every_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    values = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": "http://127.0.0.1:8081/bot",
        "DATABASE_PATH": "/var/lib/cables/cables.db",
        "ADMIN_IDS": " 12345, 67890 ",
        "TRIAL_URL": "https://example.org/subscribe?coupon=abc",
        "FEED_URL": "https://example.org/feed",
        "FEED_POLL_SECONDS": "60",
        "BROADCAST_RATE": "20",
        "LOG_LEVEL": "debug",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(require_token=True, env_file=None)
    assert settings.admin_ids == frozenset({12345, 67890})
    assert settings.feed_poll_seconds == 60
    assert settings.broadcast_rate == 20.0
    assert settings.log_level == "DEBUG"
    assert settings.trial_url == "https://example.org/subscribe?coupon=abc"


def test_settings_come_from_a_dotenv_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"TELEGRAM_BOT_TOKEN={TOKEN}\nADMIN_IDS=42\n")
    settings = load_settings(require_token=True, env_file=env_file)
    assert settings.admin_ids == frozenset({42})


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        (
            "TELEGRAM_BOT_TOKEN",
            "not-a-token",
            "TELEGRAM_BOT_TOKEN: does not look like a bot token",
        ),
        ("ADMIN_IDS", "12,abc", "ADMIN_IDS: must be Telegram user ids separated by commas"),
        ("TELEGRAM_API_URL", "ftp://x", "TELEGRAM_API_URL: must be an http:// or https:// URL"),
        ("FEED_POLL_SECONDS", "often", "FEED_POLL_SECONDS: "),
        ("BROADCAST_RATE", "0", "BROADCAST_RATE: "),
        ("LOG_LEVEL", "chatty", "LOG_LEVEL: "),
        ("TRIAL_URL", "http://newsletter/subscribe", "TRIAL_URL: Telegram would refuse it"),
        ("UPDATE_BACKLOG", "5", "UPDATE_BACKLOG: "),
    ],
)
def test_a_malformed_setting_is_named(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, problem: str
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings(require_token=True, env_file=None)
    assert len(raised.value.problems) == 1
    assert raised.value.problems[0].startswith(problem)


def test_a_missing_token_is_named() -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(require_token=True, env_file=None)
    assert raised.value.problems == ["TELEGRAM_BOT_TOKEN: not set (get one from @BotFather)"]


def test_a_malformed_token_is_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "123456789:short-but-secret"
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", secret)
    with pytest.raises(SettingsError) as raised:
        load_settings(require_token=True, env_file=None)
    assert "short-but-secret" not in str(raised.value)
