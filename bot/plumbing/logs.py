"""Logging: one line per event, with secrets redacted from every line."""

from __future__ import annotations

import logging
from collections.abc import Iterable

REDACTED = "[REDACTED]"


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then blanks out every secret, tracebacks included."""

    def __init__(self, fmt: str, secrets: Iterable[str]) -> None:
        super().__init__(fmt)
        self.secrets = [secret for secret in secrets if secret]

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.secrets)


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace each secret (and the token's secret half on its own) with a marker."""
    for secret in secrets:
        text = text.replace(secret, REDACTED)
        _, _, tail = secret.partition(":")
        if len(tail) >= 20:
            text = text.replace(tail, REDACTED)
    return text


def setup_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """Send every log line through one redacting handler on stderr."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets)
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and a Bot API URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # matplotlib's DEBUG scores every font for every size on the chart: thousands of lines.
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    if root.level > logging.DEBUG:
        logging.getLogger("telegram.ext").addFilter(QuietBootstrapFailure())


class QuietBootstrapFailure(logging.Filter):
    """Drop the traceback PTB logs when start-up fails: the CLI reports it in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage().startswith("Network Retry Loop (Bootstrap"):
            record.exc_info = None
            record.exc_text = None
        return True
