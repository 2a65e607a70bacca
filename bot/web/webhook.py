"""The endpoint Telegram posts updates to: the secret first, then a bounded body.

Telegram's updates are a few kilobytes (a message is at most 4,096 characters, its
entities and a reply's quoted message besides); a body past MAX_UPDATE_BYTES is not one of
them, and is refused before more of it is read than that.
"""

from __future__ import annotations

import hmac
import json
import logging

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from bot.context import App
from bot.plumbing.inbox import InboxQueue
from bot.plumbing.update_shape import read_update

log = logging.getLogger(__name__)

MAX_UPDATE_BYTES = 1024 * 1024
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class UpdateEndpoint:
    """Takes Telegram's POSTs: 403 without the secret, 413 for an oversized body, 400 for
    one that is not an update; else the update is queued (and kept) before 200 answers."""

    def __init__(self, app: App, secret: str) -> None:
        self.app = app
        self.secret = secret.encode()

    async def handle(self, request: Request) -> Response:
        if request.method != "POST":
            return Response(status_code=404)
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            return Response(status_code=403)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_UPDATE_BYTES:
            return Response(status_code=413)
        body = bytearray()
        try:
            async for chunk in request.stream():
                body += chunk
                if len(body) > MAX_UPDATE_BYTES:
                    return Response(status_code=413)
        except ClientDisconnect:  # gone, or cut off by the server's deadline (connections.py)
            return Response(status_code=400)
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):  # not JSON, or nested past the parser's depth
            data = None
        # Only what the inbox can keep and read again: one it could not would be replayed,
        # and fail, at every start.
        update = read_update(data, self.app.bot)
        if update is None:
            log.warning("webhook: a body that is not an update, refused with 400")
            return Response(status_code=400)
        # The queue writes the update to the inbox before this returns: Telegram forgets it
        # once it has the 200.
        queue = self.app.update_queue
        if isinstance(queue, InboxQueue):
            queue.inbox.received(data)
        await queue.put(update)
        return Response(status_code=200)
