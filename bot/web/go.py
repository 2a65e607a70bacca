"""GET /go/<code>: count the click, then 302 to the tagged newsletter URL (404 otherwise).

A click counts once a visitor, link and day (bot/stats/clicks.py); HEAD gets the same answer
as GET and never counts (link checkers and previews ask that way).
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.context import App
from bot.stats.clicks import ClickCounter

_CODE = re.compile(r"[a-z2-7]{10}")


class GoEndpoint:
    def __init__(self, app: App) -> None:
        self.app = app  # its services open after the server is built: looked up per request
        self.clicks = ClickCounter()

    async def handle(self, request: Request) -> Response:
        code = str(request.path_params.get("code", ""))
        if not self.app.bot_data.is_open or not _CODE.fullmatch(code):
            return Response(status_code=404)
        services = self.app.bot_data.services
        found = await services.links.resolve(code)
        if found is None:
            return Response(status_code=404)
        url, campaign = found
        # The client's address: the proxy's X-Forwarded-For only where WEBHOOK_TRUSTED_PROXIES
        # names the proxy (uvicorn's proxy headers, bot/web/server.py).
        client = request.client.host if request.client is not None else None
        agent = request.headers.get("user-agent", "")
        if request.method == "GET" and self.clicks.first_today(code, client, agent):
            services.stats.count(f"click:{campaign}")
        return RedirectResponse(url, status_code=302)
