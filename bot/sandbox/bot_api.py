"""A Telegram Bot API served in-process on loopback: what the tests and `cables-bot try`
run the real bot against.

It speaks the Bot API's HTTP protocol well enough for python-telegram-bot: long-polled
getUpdates, the methods the bot calls, Telegram's limits on sending, and Telegram's own 400s
for what Telegram would refuse (so a reply Telegram would refuse shows as its error). It
records every call. The tests' controls (faults, holds, slow paths, blocked and migrated
chats) are a subclass of it: tests/auxil/fake_telegram.py.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web

from bot.plumbing.rate_limits import SEND_METHODS
from bot.sandbox.html_rules import HtmlRejected, check_html, check_reply_markup
from briefings.rendering.telegram_html import MAX_CAPTION_LENGTH, MAX_MESSAGE_LENGTH

# The token the local API takes (it is no secret: nothing else accepts it).
TOKEN = "123456789:AAEfakeTOKENforTESTSonly_abcdefghijk"
BOT_ID = 123456789
BOT_USERNAME = "cables_test_bot"

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_T = TypeVar("_T")
# The sides Telegram scales an uploaded photo to (thumbnail up to full size).
_PHOTO_SIDES = (90, 320, 800, 1280)
_INLINE_RESULTS_LIMIT = 50

# Parameters PTB sends as JSON strings inside form data.
_JSON_FIELDS = {
    "reply_markup", "link_preview_options", "commands", "scope", "allowed_updates",
    "results", "entities", "caption_entities", "reply_parameters", "button",
}  # fmt: skip


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


class Refused(Exception):
    """An error answer that is Telegram's normal behaviour, not a rejected request."""

    def __init__(self, status: int, description: str, migrate_to: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.migrate_to = migrate_to


class LocalBotApi:
    """The server. Start it, point the bot at base_url, push updates, read calls."""

    def __init__(self, token: str = TOKEN, clock: Callable[[], float] = time.monotonic) -> None:
        self.token = token
        # What Telegram's limits below count seconds and minutes by: a test of the limits
        # themselves sets a clock it moves, so "31 in one second" does not depend on how
        # fast a loaded machine makes 31 sends. The bot's own limiter keeps the real one.
        self.clock = clock
        self.calls: list[Call] = []
        self.rejections: list[tuple[str, str]] = []
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        # The bot's description and short description, by language code ("" for all).
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._open_queries: set[str] = set()
        self._open_inline_queries: set[str] = set()
        # Every photo uploaded, by each file_id Telegram gave it: what a file_id re-sends.
        self._photos: dict[str, list[dict[str, Any]]] = {}
        self._uploads = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._closing = False
        # Telegram's limits on sending (None: not enforced): free messages a second across
        # all chats, paid ones (allow_paid_broadcast) a second, and messages a minute to any
        # one group.
        self.free_per_second: int | None = 30
        self.paid_per_second: int | None = 1000
        self.group_per_minute: int | None = 20
        self.paid_sent = 0
        self.throttled_chats: collections.Counter[int] = collections.Counter()  # 429s by chat
        self.admins: dict[int, set[int]] = {}
        self.inline_mode = True  # BotFather's /setinline, as getMe reports it
        self.throttled = 0
        self.accepted = 0  # sendMessage calls accepted: a cheap count for waiting on floods
        self._recent_sends: collections.deque[float] = collections.deque()
        self._paid_sends: collections.deque[float] = collections.deque()
        self._group_sends: dict[int, collections.deque[float]] = {}
        self.port = 0
        # Link hosts Telegram refuses on buttons (it flags some): BUTTON_URL_INVALID.
        self.refused_hosts: frozenset[str] = frozenset()
        self.polling = False  # a getUpdates call is open
        self.fetched_up_to = 0  # the highest update_id getUpdates has returned

    # ------------------------------------------------------------------ lifecycle
    async def start(self, port: int = 0) -> None:
        """Listen on loopback: on port, or on one the system picks."""
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        sockets = getattr(site._server, "sockets", None)  # an asyncio Server once started
        assert sockets
        self.port = int(sockets[0].getsockname()[1])

    async def stop(self) -> None:
        async with self._changed:
            self._closing = True  # release long-polls still held for a client that left
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        """The TELEGRAM_API_URL the bot should use: the token is appended to it."""
        return f"http://127.0.0.1:{self.port}/bot"

    # ------------------------------------------------------------------ test-facing API
    async def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; return its update_id."""
        update = dict(update, update_id=next(self._update_ids))
        for value in update.values():
            if isinstance(value, dict):
                chat = value.get("chat") or (value.get("message") or {}).get("chat")
                if chat:
                    self.chats[chat["id"]] = chat
                if "data" in value and "id" in value:
                    self._open_queries.add(value["id"])
        if "inline_query" in update:
            self._open_inline_queries.add(update["inline_query"]["id"])
        async with self._changed:
            self._updates.append(update)
            self._changed.notify_all()
        return int(update["update_id"])

    async def wait_for(self, predicate: Callable[[], _T | None], timeout: float = 10.0) -> _T:
        """Wait until predicate() is truthy (re-checked on every call); return its value."""
        async with self._changed:
            result = await asyncio.wait_for(self._changed.wait_for(predicate), timeout)
        assert result is not None  # a truthy value, so never None
        return result

    def sent(self, chat_id: int | None = None, method: str | None = None) -> list[Call]:
        """Calls that sent or edited a message's text, optionally for one chat and method.

        The replies a reader reads: a chart sent ahead of its text (/forces) is left out, so
        "the first reply" stays the text; ask for method="sendPhoto", or photos(), for charts.
        """
        kinds = {"sendMessage", "editMessageText", "editMessageCaption"}
        return [
            call for call in self.calls
            if (call.method in kinds if method is None else call.method == method)
            and (chat_id is None or int(call.params.get("chat_id", 0)) == chat_id)
        ]  # fmt: skip

    def messages_sent_ids(self, call: Call) -> int:
        """The message_id the fake gave the message sent by call."""
        for (chat_id, message_id), stored in self.messages.items():
            if chat_id == int(call.params["chat_id"]) and stored["text"] == call.params["text"]:
                return message_id
        raise LookupError("no such message")

    def photos(self, chat_id: int | None = None) -> list[Call]:
        """sendPhoto calls the fake accepted; params["_uploaded"] says upload or file_id."""
        return [
            call for call in self.sent(chat_id, "sendPhoto") if "_uploaded" in call.params
        ]  # fmt: skip

    def delivered(self) -> list[Call]:
        """sendMessage calls the fake accepted (not refused, rejected or throttled)."""
        return [
            call for call in self.calls
            if call.method == "sendMessage" and call.params.get("_accepted")
        ]  # fmt: skip

    def calls_of(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    @property
    def pending_updates(self) -> int:
        return len(self._updates)

    # ------------------------------------------------------------------ HTTP
    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _params(request)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return error(404, "Not Found")
        scripted = await self._scripted(request, method, params)
        if scripted is not None:
            return scripted
        throttled = self._flood_control(method, params)
        if throttled is not None:
            return throttled
        try:
            result = await handler(params)
        except Refused as exc:
            await self._record(Call(method, params))
            return error(exc.status, exc.description, migrate_to=exc.migrate_to)
        except HtmlRejected as exc:
            self.rejections.append((method, str(exc)))
            await self._record(Call(method, params))
            return error(400, f"Bad Request: {exc}")
        params["_accepted"] = True  # answered ok, as Telegram would
        if method != "getUpdates" or result:
            await self._record(Call(method, params))
        return web.json_response({"ok": True, "result": result})

    async def _scripted(
        self, request: web.Request, method: str, params: dict[str, Any]
    ) -> web.Response | None:
        """An answer a subclass scripts for this call ahead of Telegram's own (the tests'
        faults); None: answer as Telegram would."""
        return None

    async def _to_chat(self, method: str, chat_id: int, params: dict[str, Any]) -> None:
        """Before a message goes to chat_id: a subclass raises Refused where that chat would
        not take it, or keeps the call waiting (the tests' blocked chats and holds)."""

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            # Counted with the call it records, so a wait on the count finds the call there.
            if call.method == "sendMessage" and call.params.get("_accepted"):
                self.accepted += 1
            self._changed.notify_all()

    # ------------------------------------------------------------------ methods
    async def _m_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": BOT_ID, "is_bot": True, "first_name": "Cables Test", "username": BOT_USERNAME,
            "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": self.inline_mode,
        }  # fmt: skip

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> bool:
        return True

    async def _m_setWebhook(self, params: dict[str, Any]) -> bool:
        if not str(params.get("url", "")).startswith(("http://", "https://")):
            raise HtmlRejected("bad webhook: invalid URL")
        return True

    async def _m_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        async with self._changed:
            # Telegram forgets updates below the offset: they are confirmed.
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self.polling = True
            try:
                if not self._updates and timeout > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(
                            self._changed.wait_for(lambda: self._updates or self._closing),
                            timeout,
                        )
            finally:
                self.polling = False
            batch = self._updates[:limit]
            if batch:
                self.fetched_up_to = max(self.fetched_up_to, batch[-1]["update_id"])
            return batch

    async def _m_setMyCommands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands") or []
        for command in commands:
            name, description = command.get("command", ""), command.get("description", "")
            if not (1 <= len(name) <= 32 and name.replace("_", "").isalnum() and name.islower()):
                raise HtmlRejected(f"BOT_COMMAND_INVALID: {name!r}")
            if not 1 <= len(description) <= 256:
                raise HtmlRejected("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[_scope_key(params)] = commands
        return True

    async def _m_getMyDescription(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"description": self.descriptions.get(str(params.get("language_code", "")), "")}

    async def _m_setMyDescription(self, params: dict[str, Any]) -> bool:
        text = str(params.get("description") or "")
        if len(text) > 512:
            raise HtmlRejected("description is too long")
        self.descriptions[str(params.get("language_code", ""))] = text
        return True

    async def _m_getMyShortDescription(self, params: dict[str, Any]) -> dict[str, Any]:
        short = self.short_descriptions.get(str(params.get("language_code", "")), "")
        return {"short_description": short}

    async def _m_setMyShortDescription(self, params: dict[str, Any]) -> bool:
        text = str(params.get("short_description") or "")
        if len(text) > 120:
            raise HtmlRejected("short description is too long")
        self.short_descriptions[str(params.get("language_code", ""))] = text
        return True

    async def _m_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(_scope_key(params), None)
        return True

    def _flood_control(self, method: str, params: dict[str, Any]) -> web.Response | None:
        """Answer 429 as Telegram does: beyond free_per_second messages in any one second
        across all chats, paid_per_second for those sent with allow_paid_broadcast (a budget
        of their own), and group_per_minute to any one group."""
        if method not in SEND_METHODS:
            return None
        now = self.clock()
        chat_id = int(params.get("chat_id") or 0)
        group = self._group_sends.setdefault(chat_id, collections.deque()) if chat_id < 0 else None
        paid = str(params.get("allow_paid_broadcast")).lower() == "true"
        sends, limit = ((self._paid_sends, self.paid_per_second) if paid
                        else (self._recent_sends, self.free_per_second))  # fmt: skip
        while sends and now - sends[0] >= 1.0:
            sends.popleft()
        while group and now - group[0] >= 60.0:
            group.popleft()
        if group is not None and self.group_per_minute and len(group) >= self.group_per_minute:
            self.throttled += 1
            self.throttled_chats[chat_id] += 1
            wait = math.ceil(group[0] + 60.0 - now)
            return error(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        if limit is not None and len(sends) >= limit:
            self.throttled += 1
            self.throttled_chats[chat_id] += 1
            return error(429, "Too Many Requests: retry after 1", retry_after=1)
        sends.append(now)
        if group is not None:
            group.append(now)
        if paid:
            self.paid_sent += 1
        return None

    async def _m_getChatMember(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, user_id = int(params["chat_id"]), int(params["user_id"])
        person = {"id": user_id, "is_bot": False, "first_name": "Member"}
        if user_id in self.admins.get(chat_id, set()):
            return {"status": "creator", "user": person, "is_anonymous": False}
        return {"status": "member", "user": person}

    async def _m_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        await self._to_chat("sendMessage", chat_id, params)
        text = str(params.get("text", ""))
        self._check_text(params, text)
        check_reply_markup(params.get("reply_markup"), self.refused_hosts)
        message_id = next(self._message_ids)
        self.messages[(chat_id, message_id)] = {
            "text": text, "reply_markup": params.get("reply_markup"),
        }  # fmt: skip
        return self._message_json(chat_id, message_id, text)

    async def _m_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        text = str(params.get("text", ""))
        stored = self.messages.get((chat_id, message_id))
        if stored is None:
            raise HtmlRejected("message to edit not found")
        if stored["text"] is None:
            raise HtmlRejected("there is no text in the message to edit")
        self._check_text(params, text)
        check_reply_markup(params.get("reply_markup"), self.refused_hosts, editing=True)
        if stored["text"] == text and stored["reply_markup"] == params.get("reply_markup"):
            raise HtmlRejected(
                "message is not modified: specified new message content and reply markup "
                "are exactly the same as a current content and reply markup of the message"
            )
        stored.update(text=text, reply_markup=params.get("reply_markup"))
        return self._message_json(chat_id, message_id, text)

    async def _m_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        await self._to_chat("sendPhoto", chat_id, params)
        photo = params.get("photo")
        if isinstance(photo, bytes):
            sizes = self._store_upload(photo)
        elif isinstance(photo, str) and photo in self._photos:
            sizes = self._photos[photo]
        else:
            raise HtmlRejected("wrong file identifier/HTTP URL specified")
        caption = str(params.get("caption") or "")
        if caption:
            self._check_text(params, caption, MAX_CAPTION_LENGTH)
        check_reply_markup(params.get("reply_markup"), self.refused_hosts)
        params["_uploaded"] = isinstance(photo, bytes)
        params["_file_id"] = sizes[-1]["file_id"]
        message_id = params["_message_id"] = next(self._message_ids)
        self.messages[(chat_id, message_id)] = {
            "text": None, "caption": caption, "reply_markup": params.get("reply_markup"),
        }  # fmt: skip
        message = self._message_json(chat_id, message_id, None)
        message["photo"] = sizes
        if caption:
            message["caption"] = caption
        return message

    def _store_upload(self, data: bytes) -> list[dict[str, Any]]:
        """Keep an uploaded PNG as Telegram would: scaled sizes, each with its own file_id."""
        try:
            width, height = png_size(data)
        except ValueError as exc:
            raise HtmlRejected(f"IMAGE_PROCESS_FAILED: {exc}") from None
        upload = next(self._uploads)
        sizes = []
        for side in _PHOTO_SIDES:
            scale = min(1.0, side / max(width, height))
            sizes.append({
                "file_id": f"AgACfake{upload}x{side}", "file_unique_id": f"AQfake{upload}x{side}",
                "width": round(width * scale), "height": round(height * scale),
                "file_size": len(data),
            })  # fmt: skip
            if scale == 1.0:
                break
        for size in sizes:
            self._photos[str(size["file_id"])] = sizes
        return sizes

    async def _m_answerInlineQuery(self, params: dict[str, Any]) -> bool:
        query_id = _open_query(self._open_inline_queries, params.get("inline_query_id"))
        results = params.get("results")
        if not isinstance(results, list) or len(results) > _INLINE_RESULTS_LIMIT:
            raise HtmlRejected("RESULTS_TOO_MUCH")
        ids = [result.get("id") for result in results]
        if len(set(ids)) != len(ids):
            raise HtmlRejected("RESULT_ID_DUPLICATE")
        for result in results:
            _check_article(result)
        if not str(params.get("cache_time", 300)).isdigit():
            raise HtmlRejected("cache_time must be a whole number of seconds")
        self._open_inline_queries.discard(query_id)
        return True

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        query_id = _open_query(self._open_queries, params.get("callback_query_id"))
        if len(str(params.get("text") or "")) > 200:
            raise HtmlRejected("MESSAGE_TOO_LONG")
        self._open_queries.discard(query_id)
        return True

    async def _m_sendChatAction(self, params: dict[str, Any]) -> bool:
        return True

    # ------------------------------------------------------------------ helpers
    def _check_text(
        self, params: dict[str, Any], text: str, limit: int = MAX_MESSAGE_LENGTH
    ) -> None:
        _check_text(params.get("parse_mode"), text, limit)

    def _message_json(self, chat_id: int, message_id: int, text: str | None) -> dict[str, Any]:
        chat = self.chats.get(chat_id, {"id": chat_id, "type": "private", "first_name": "User"})
        message = {
            "message_id": message_id, "date": int(time.time()), "chat": chat,
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Cables Test",
                     "username": BOT_USERNAME},
        }  # fmt: skip
        if text is not None:
            message["text"] = text
        return message


def _check_text(parse_mode: object, text: str, limit: int = MAX_MESSAGE_LENGTH) -> None:
    """Raise HtmlRejected where Telegram would refuse a message text or caption."""
    if parse_mode == "HTML":
        check_html(text, limit)
    elif not text.strip():
        raise HtmlRejected("message text is empty")
    elif len(text.encode("utf-16-le")) // 2 > limit:
        raise HtmlRejected("message is too long")


def _open_query(open_ids: set[str], query_id: object) -> str:
    """The query's id if it may still be answered (once, and only while it is fresh)."""
    if str(query_id) not in open_ids:
        raise HtmlRejected("query is too old and response timeout expired or query ID is invalid")
    return str(query_id)


def _check_article(result: object) -> None:
    """Raise HtmlRejected where Telegram would refuse an inline result (articles only here)."""
    if not isinstance(result, dict) or result.get("type") != "article":
        raise HtmlRejected("RESULT_TYPE_INVALID: the fake knows article results only")
    result_id = result.get("id")
    if not isinstance(result_id, str) or not 1 <= len(result_id.encode()) <= 64:
        raise HtmlRejected("RESULT_ID_INVALID")
    if not str(result.get("title") or "").strip():
        raise HtmlRejected("ARTICLE_TITLE_EMPTY")
    content = result.get("input_message_content")
    if not isinstance(content, dict) or "message_text" not in content:
        raise HtmlRejected("MESSAGE_EMPTY: an article needs input_message_content.message_text")
    _check_text(content.get("parse_mode"), str(content["message_text"]))
    check_reply_markup(result.get("reply_markup"))


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk; ValueError if data is not a PNG."""
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG image")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        body = await request.json()
        return dict(body) if isinstance(body, dict) else {}
    form = await request.post()
    params: dict[str, Any] = {}
    for key, value in form.items():
        if isinstance(value, web.FileField):
            params[key] = value.file.read()
        elif key in _JSON_FIELDS:
            params[key] = json.loads(value)
        else:
            params[key] = value
    for key, value in request.query.items():
        params.setdefault(key, value)
    return params


def _scope_key(params: dict[str, Any]) -> str:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True) + "|" + str(params.get("language_code") or "")


def error(
    status: int, description: str, retry_after: int | None = None, migrate_to: int | None = None
) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    if migrate_to is not None:  # a group that became a supergroup: its new id
        body["parameters"] = {"migrate_to_chat_id": migrate_to}
    return web.json_response(body, status=status)
