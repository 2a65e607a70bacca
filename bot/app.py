"""Build the Telegram application: settings in, every handler wired in one place."""

from __future__ import annotations

import asyncio
import logging

from telegram import BotCommandScopeChat, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot import errors, flood, handlers, inline, subscriptions
from bot.add_flow import add_conversation
from bot.commands import EDITOR_COMMANDS, PUBLIC_COMMANDS, menu
from bot.keyboards import SECTION_CALLBACK_PREFIX
from bot.services import SERVICES_KEY, Services
from bot.settings import Settings
from bot.telegram_http import with_aiohttp
from bot.update_order import PerChatUpdateProcessor

log = logging.getLogger(__name__)

FEED_JOB = "feed-poll"


def build_application(settings: Settings) -> Application:  # type: ignore[type-arg]
    """Build the Application for these settings; nothing connects until it starts."""

    async def post_init(app: Application) -> None:  # type: ignore[type-arg]
        svc = await Services.open(settings, app.bot)
        app.bot_data[SERVICES_KEY] = svc
        await register_menus(app, settings)
        svc.worker.start()
        assert app.job_queue is not None
        # A fixed name, one job: the poll repeats every FEED_POLL_SECONDS. APScheduler cannot
        # start an interval job "now", so the first poll runs as its own task, as PTB advises.
        job = app.job_queue.run_repeating(
            poll_feed, interval=settings.feed_poll_seconds, name=FEED_JOB
        )
        svc.background.add(asyncio.create_task(job.run(app), name="first-feed-poll"))
        dailies = await subscriptions.restore_daily_jobs(app, svc)
        log.info("started bot=@%s database=%s daily_jobs=%d",
                 app.bot.username, settings.database_path, dailies)  # fmt: skip

    async def post_stop(app: Application) -> None:  # type: ignore[type-arg]
        found = app.bot_data.get(SERVICES_KEY)
        if isinstance(found, Services):
            await found.stop_background()

    async def post_shutdown(app: Application) -> None:  # type: ignore[type-arg]
        found = app.bot_data.pop(SERVICES_KEY, None)
        if isinstance(found, Services):
            await found.close()
        log.info("stopped")

    builder = (
        Application.builder()
        .token(settings.token)
        .base_url(settings.telegram_api_url)
        .base_file_url(settings.api_file_url)
    )
    app = (
        with_aiohttp(builder)
        .concurrent_updates(PerChatUpdateProcessor())
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
        .build()
    )
    add_handlers(app, settings)
    return app


def add_handlers(app: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    """Register every handler. Order matters: known commands before the fallbacks."""
    # Group -1 runs first: a flooding user is stopped before any handler spends a send.
    app.add_handler(flood.FloodGuard(settings).handler(), group=-1)
    # The conversation first, so that while a draft is open its steps take the editor's text.
    app.add_handler(add_conversation())
    for command in (*PUBLIC_COMMANDS, *EDITOR_COMMANDS):
        if command.callback is not None:
            app.add_handler(CommandHandler(command.name, command.callback))
    app.add_handler(
        CallbackQueryHandler(handlers.section_button, pattern=f"^{SECTION_CALLBACK_PREFIX}")
    )
    app.add_handler(InlineQueryHandler(inline.inline_briefings))
    app.add_handler(
        ChatMemberHandler(subscriptions.chat_membership, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    # Fallbacks: whatever no handler above took.
    app.add_handler(MessageHandler(filters.COMMAND, handlers.unknown_command))
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, handlers.text_hint
        )
    )
    app.add_error_handler(errors.on_error)


async def poll_feed(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Job: poll the newsletter's feed; new cables go to the outbox."""
    found = context.bot_data.get(SERVICES_KEY)
    if isinstance(found, Services):
        await found.publisher.poll_feed()


async def register_menus(app: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    """Public menu for everyone; each editor's private chat also lists the editor commands."""
    await app.bot.set_my_commands(menu(PUBLIC_COMMANDS))
    for editor_id in sorted(settings.admin_ids):
        try:
            await app.bot.set_my_commands(
                menu((*PUBLIC_COMMANDS, *EDITOR_COMMANDS)), scope=BotCommandScopeChat(editor_id)
            )
        except BadRequest as exc:
            # Telegram knows the chat only once the editor has started the bot.
            log.warning("no editor menu for user_id=%s yet: %s", editor_id, exc.message)
