"""Settings from the environment and a .env file, checked at start-up."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.plumbing.rate_limits import FREE_SENDS_PER_SECOND
from briefings.rendering.telegram_html import button_url_problem

DEFAULT_API_URL = "https://api.telegram.org/bot"
NEWSLETTER_URL = "https://thebismarckcables.substack.com"

# BotFather's tokens: the bot's numeric id, a colon, then a secret of letters, digits, - and _.
_TOKEN_SHAPE = re.compile(r"\d{3,}:[A-Za-z0-9_-]{30,}")


class SettingsError(Exception):
    """One or more settings are missing or malformed; each line names one."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Settings(BaseSettings):
    """Every setting the bot reads. Field FOO_BAR is the variable FOO_BAR."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = DEFAULT_API_URL
    database_path: Path = Path("./data/cables.db")
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    trial_url: str = f"{NEWSLETTER_URL}/subscribe"
    feed_url: str = f"{NEWSLETTER_URL}/feed"
    feed_poll_seconds: int = Field(default=300, ge=10, le=86_400)
    # Hosts /publish may read besides FEED_URL's (a custom domain), comma-separated.
    publish_hosts: Annotated[frozenset[str], NoDecode] = frozenset()
    # New cables one feed poll pushes without an editor; more are held, and editors asked.
    new_cables_per_poll: int = Field(default=3, ge=0, le=1000)
    broadcast_rate: float = Field(default=25.0, gt=0, le=1000)
    # Pushes sent with allow_paid_broadcast: up to 1,000 a second, 0.1 Star each (README).
    paid_broadcast: bool = False
    # Telegram's limit on free messages a second, replies and pushes together; 0 paces
    # nothing (for a Bot API without Telegram's limits, as the benchmarks' is).
    free_sends_per_second: int = Field(default=FREE_SENDS_PER_SECOND, ge=0, le=100_000)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # How long a Bot API that cannot be reached at start is tried again before the bot exits
    # (a container's network may come up a moment after it; bot/lifecycle.py).
    boot_retry_seconds: float = Field(default=60, ge=0, le=3600)
    # What changed is pushed once no change came to the situation for this long (the
    # editors' corrections settle first; bot/push/updates.py).
    update_quiet_seconds: float = Field(default=900, ge=0, le=7 * 86_400)
    # How often settled changes are looked for: an update push goes out within this of its
    # time (the benchmark sets it low, not to wait for the job).
    update_check_seconds: float = Field(default=30, gt=0, le=3600)
    user_commands_per_minute: int = Field(default=20, ge=1, le=10_000)
    # Updates fetched and not yet handled, at most: beyond it the bot stops fetching and
    # Telegram keeps the rest (for up to 24 hours).
    update_backlog: int = Field(default=10_000, ge=10, le=1_000_000)
    webhook_url: str | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(default=8443, ge=1, le=65_535)
    webhook_secret: SecretStr | None = None
    # Proxies (addresses or networks) whose X-Forwarded-For names the client: the TLS proxy
    # in front of the webhook, so that each counted link's visitor is told apart (bot/web/).
    webhook_trusted_proxies: Annotated[frozenset[str], NoDecode] = frozenset()

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, token: SecretStr | None) -> SecretStr | None:
        if token is not None and not _TOKEN_SHAPE.fullmatch(token.get_secret_value().strip()):
            # Never echo the value: it is a secret even when malformed.
            raise ValueError("does not look like a bot token from BotFather (<digits>:<secret>)")
        return SecretStr(token.get_secret_value().strip()) if token is not None else None

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, secret: SecretStr | None) -> SecretStr | None:
        # Telegram's rule for secret_token: 1-256 characters, A-Z a-z 0-9 _ and -. Ours: 32
        # at least, as only the secret keeps strangers' updates out of the bot.
        if secret is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{32,256}", secret.get_secret_value()
        ):
            raise ValueError(
                "must be 32-256 letters, digits, _ or - (make one with"
                " `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
            )
        return secret

    @field_validator("webhook_trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, raw: object) -> object:
        if isinstance(raw, str):
            parts = [part.strip() for part in raw.split(",") if part.strip()]
            try:
                return frozenset(str(ipaddress.ip_network(part, strict=False)) for part in parts)
            except ValueError:
                raise ValueError(
                    "must be IP addresses or networks separated by commas, e.g. 127.0.0.1"
                ) from None
        return raw

    @field_validator("telegram_api_url", "trial_url", "feed_url", "webhook_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is None:
            return None
        url = url.strip()
        if not re.fullmatch(r"https?://[^\s/]+\S*", url):
            raise ValueError("must be an http:// or https:// URL")
        return url

    @field_validator("trial_url")
    @classmethod
    def _button_url(cls, url: str) -> str:
        # It is every push's button: a link Telegram refuses would hold every cable.
        problem = button_url_problem(url)
        if problem:
            raise ValueError(f"Telegram would refuse it on a button: {problem}")
        return url

    @model_validator(mode="after")
    def _free_rate(self) -> Settings:
        if self.broadcast_rate > FREE_SENDS_PER_SECOND and not self.paid_broadcast:
            raise ValueError(
                f"BROADCAST_RATE: {self.broadcast_rate:g} is above the {FREE_SENDS_PER_SECOND}"
                " messages a second Telegram allows a bot for free: lower it, or set"
                " PAID_BROADCAST=true (0.1 Telegram Star a push, from the bot's balance)"
            )
        return self

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _comma_separated_ids(cls, raw: object) -> object:
        if isinstance(raw, str):
            parts = [part.strip() for part in raw.split(",") if part.strip()]
            if not all(re.fullmatch(r"-?\d+", part) for part in parts):
                raise ValueError("must be Telegram user ids separated by commas, e.g. 12345,67890")
            return frozenset(int(part) for part in parts)
        return raw

    @field_validator("publish_hosts", mode="before")
    @classmethod
    def _host_names(cls, raw: object) -> object:
        if isinstance(raw, str):
            hosts = [part.strip().lower() for part in raw.split(",") if part.strip()]
            if not all(re.fullmatch(r"[a-z0-9.-]{1,253}", host) for host in hosts):
                raise ValueError("must be host names separated by commas, e.g. example.com")
            return frozenset(hosts)
        return raw

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, level: object) -> object:
        return level.strip().upper() if isinstance(level, str) else level

    @property
    def token(self) -> str:
        """The bot token; raises SettingsError if it is not set."""
        if self.telegram_bot_token is None:
            raise SettingsError(["TELEGRAM_BOT_TOKEN: not set (get one from @BotFather)"])
        return self.telegram_bot_token.get_secret_value()

    @property
    def api_file_url(self) -> str:
        """Base URL for file downloads, beside the API URL as Telegram lays them out."""
        base = self.telegram_api_url
        return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base


def load_settings(
    *, require_token: bool, require_webhook: bool = False, env_file: Path | None = Path(".env")
) -> Settings:
    """Read and check the settings; raise SettingsError naming each bad one."""
    try:
        settings = Settings(_env_file=env_file)
    except ValidationError as exc:
        raise SettingsError([_describe(error) for error in exc.errors()]) from None
    if require_token:
        settings.token  # noqa: B018 - raises SettingsError when missing
    if require_webhook:
        missing = [
            f"{name}: not set (needed for --webhook)"
            for name, value in (("WEBHOOK_URL", settings.webhook_url),
                                ("WEBHOOK_SECRET", settings.webhook_secret))
            if value is None
        ]  # fmt: skip
        if missing:
            raise SettingsError(missing)
    return settings


def _describe(error: object) -> str:
    # Built from the field name and message only: pydantic's own text echoes the input.
    loc = error["loc"] if isinstance(error, dict) else ()
    message = str(error["msg"] if isinstance(error, dict) else "invalid")
    message = message.removeprefix("Value error, ")
    # A check across settings names its setting itself.
    return f"{str(loc[0]).upper()}: {message}" if loc else message
