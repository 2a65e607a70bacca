"""Webhook mode: the Application and a Starlette app on uvicorn in one event loop.

As python-telegram-bot's own custom-webhook example does it: the Application runs without
an Updater, and the web server hands each update to its queue. PTB's built-in webhook
server (tornado) buffers bodies up to 100 MB before it checks the secret; this one reads
the secret first and at most a megabyte after it.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route
from telegram import Update

from bot.context import App
from bot.lifecycle import reach_bot_api, stop_app
from bot.settings import Settings
from bot.stats.links import GO_PATH
from bot.web.connections import (
    ACCEPT_BATCH,
    Connections,
    connection_limit,
    quiet_repeated_lines,
)
from bot.web.go import GoEndpoint
from bot.web.webhook import UpdateEndpoint

log = logging.getLogger(__name__)

ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def web_app(app: App, settings: Settings) -> Starlette:
    """The routes the bot serves: Telegram's updates on WEBHOOK_URL's path, and the counted
    links (/go/<code>); nothing else, and no redirect but a link's (Starlette's own, from
    /hook/ to /hook on the request's Host, would show the path and drop https)."""
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    path = urlsplit(settings.webhook_url).path or "/"
    endpoint = UpdateEndpoint(app, settings.webhook_secret.get_secret_value())
    go = GoEndpoint(app)
    web = Starlette(
        routes=[
            # Any method, so that only a POST with the secret learns the path exists (the
            # endpoint answers anything else 404, as for any other path).
            Route(path, endpoint.handle, methods=ANY_METHOD),
            Route(GO_PATH + "{code}", go.handle, methods=["GET"]),  # HEAD too, uncounted
        ]
    )
    web.router.redirect_slashes = False
    return web


async def serve_webhook(app: App, settings: Settings) -> None:
    """Start the bot, register the webhook, serve until SIGINT or SIGTERM, stop cleanly."""
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    config = server_config(web_app(app, settings), settings)
    server = uvicorn.Server(config)
    try:
        # Tried again while the Bot API cannot be reached, each retry logged, as in polling.
        await reach_bot_api(app, settings.boot_retry_seconds)
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        # Listening before Telegram is told the address: its first POST finds the port open.
        listening = config.bind_socket()
        listening.listen(config.backlog)  # bound is not listening: a POST now was refused
        await app.bot.set_webhook(
            settings.webhook_url,
            secret_token=settings.webhook_secret.get_secret_value(),
            allowed_updates=Update.ALL_TYPES,
        )
        quieted = quiet_repeated_lines()
        try:
            with _signals_end_quietly():
                await server.serve(sockets=[listening])
        finally:
            for logger, once in quieted:
                logger.removeFilter(once)
    finally:
        await stop_app(app)


def server_config(web: Starlette, settings: Settings) -> uvicorn.Config:
    """uvicorn's settings: connections capped and timed (bot/web/connections.py), and a
    client's address from X-Forwarded-For only where WEBHOOK_TRUSTED_PROXIES sent it."""
    connections = Connections(connection_limit())
    trusted = ",".join(sorted(settings.webhook_trusted_proxies))
    return uvicorn.Config(
        web, host=settings.webhook_listen, port=settings.webhook_port, lifespan="off",
        access_log=False, log_config=None, server_header=False, http=connections.protocol(),
        proxy_headers=bool(trusted), forwarded_allow_ips=trusted or None, backlog=ACCEPT_BATCH,
    )  # fmt: skip


@contextmanager
def _signals_end_quietly() -> Iterator[None]:
    """uvicorn takes SIGINT and SIGTERM while it serves, and raises them again once it has
    shut down; by then the bot is stopping anyway, so that second raise must do nothing."""
    handled = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, lambda *_: None) for sig in handled}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
