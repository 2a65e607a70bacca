"""Build the Telegram application: settings in, every handler wired in one place."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from typing import Any

from telegram import BotCommandScopeChat, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
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

from bot.commands import EDITOR_COMMANDS, PUBLIC_COMMANDS, menu
from bot.context import App, BotContext, BotData, Services
from bot.editors import bursts, cables, review
from bot.editors import situations as editors_situations
from bot.editors.add_flow import add_conversation
from bot.jobs import draw_chart_ahead, queue_daily_briefings, queue_update_pushes, write_stats
from bot.jobs import poll_feed as poll_newsletter_feed
from bot.keyboards import SECTION_CALLBACK_PREFIX, SUBSCRIBE_CALLBACK
from bot.plumbing import callbacks, errors, flood
from bot.plumbing.edits import edits_handler
from bot.plumbing.inbox import Inbox
from bot.plumbing.inbox_store import inbox_path
from bot.plumbing.rate_limits import Place, TelegramLimits
from bot.plumbing.telegram_http import with_aiohttp
from bot.plumbing.update_order import PerChatUpdateProcessor
from bot.profile import set_profile
from bot.push.outbox import migrate_chat
from bot.readers import inline, sections, subscriptions
from bot.settings import Settings

log = logging.getLogger(__name__)

FEED_JOB = "feed-poll"
DAILY_JOB = "daily-due"
# How often due daily briefings are queued: a briefing goes out within this of its time.
DAILY_CHECK_SECONDS = 30
UPDATES_JOB = "updates-due"  # every UPDATE_CHECK_SECONDS (settings)
STATS_JOB = "stats-write"
# How often the counts /stats reads are written (kept in memory between).
STATS_WRITE_SECONDS = 60
# Seconds after start at which the chart is drawn ahead of the first /forces.
CHART_WARMUP_DELAY = 2.0


def build_application(
    settings: Settings,
    *,
    webhook: bool = False,
    poll_feed: bool = True,
    after_start_up: Callable[[], None] | None = None,
    update_processor: type[PerChatUpdateProcessor] = PerChatUpdateProcessor,
) -> App:
    """Build the Application for these settings; nothing connects until it starts (and the
    feed is never read without poll_feed: `cables-bot try`). after_start_up is called once
    start-up is over, the first chart drawn (`cables-bot run` tunes the interpreter there).
    update_processor is the caller's choice of processor, one that also tells when updates
    are handled (`cables-bot try` and the tests wait for that)."""

    async def settle_after_start(context: BotContext) -> None:
        """Job, once after start: the chart drawn ahead, then start-up is over."""
        await draw_chart_ahead(context)
        if after_start_up is not None:
            after_start_up()

    async def tell_waiting(chat_id: int, seconds: int, place: Place) -> None:
        """Tell a reader long unanswered in a rush that the answer is coming."""
        text = app.bot_data.services.pages.render_page("rush_wait", seconds=seconds)
        await app.bot.send_message(chat_id, text, rate_limit_args=place)

    # Telegram's limits on sending, for every reply and push (bot/plumbing/rate_limits.py).
    limits = TelegramLimits(
        settings.free_sends_per_second, notify=tell_waiting,
        push_per_second=settings.broadcast_rate,
    )  # fmt: skip
    # Each update kept from its arrival until handled (bot/plumbing/inbox.py); who waits for
    # an answer, from when: the limiter tells readers long unanswered.
    inbox = Inbox(
        inbox_path(settings.database_path),
        backlog=settings.update_backlog,
        webhook=webhook,
        on_arrival=limits.notices.arrived,
        on_handled=limits.notices.handled,
    )

    async def post_init(app: App) -> None:
        services = await Services.open(settings, app.bot, webhook=webhook)
        app.bot_data.open(services)
        await inbox.initialize(app.bot)  # what a stop left is handled first
        # The command menus are not needed to answer: set them beside the first replies, not
        # before them (on a real network each call is a round trip to Telegram).
        services.set_menus = functools.partial(set_menus_and_profile, app, settings)
        services.menus = asyncio.create_task(services.set_menus(), name="menus")
        services.background.add(services.menus)
        services.worker.start()
        # A cable whose rows a stop left part-written gets the rest.
        services.background.add(asyncio.create_task(services.publisher.resume(), name="fills"))
        assert app.job_queue is not None
        # Fixed names, one job each. APScheduler cannot start an interval job "now", so each
        # job's first run (the feed poll; daily briefings missed while the bot was down) is
        # its own task, as PTB advises.
        jobs = [
            (queue_daily_briefings, DAILY_CHECK_SECONDS, DAILY_JOB),
            (queue_update_pushes, settings.update_check_seconds, UPDATES_JOB),
            (write_stats, STATS_WRITE_SECONDS, STATS_JOB),
        ]
        if poll_feed:
            jobs.insert(0, (poll_newsletter_feed, settings.feed_poll_seconds, FEED_JOB))
        for callback, interval, name in jobs:
            job = app.job_queue.run_repeating(callback, interval=interval, name=name)
            services.background.add(asyncio.create_task(job.run(app), name=f"first-{name}"))
        # The chart is drawn ahead of the first /forces, a moment after start: not before
        # the first replies, which must not wait for matplotlib's import.
        app.job_queue.run_once(settle_after_start, when=CHART_WARMUP_DELAY, name="chart-warmup")
        log.info("started bot=@%s database=%s", app.bot.username, settings.database_path)

    async def post_stop(app: App) -> None:
        if app.bot_data.is_open:
            await app.bot_data.services.stop_background()

    async def post_shutdown(app: App) -> None:
        # After a start that failed (the Bot API unreachable), PTB leaves the bot's HTTP
        # sessions open; closing them here spares the "Unclosed client session" noise.
        await app.bot.shutdown()
        await inbox.shutdown()  # what was handled last leaves the inbox now
        services = app.bot_data.close()
        if services is not None:
            await services.close()
        log.info("stopped")

    builder = (
        Application.builder()
        .token(settings.token)
        .base_url(settings.telegram_api_url)
        .base_file_url(settings.api_file_url)
        .context_types(ContextTypes(context=BotContext, bot_data=BotData))
    )
    if webhook:
        builder = builder.updater(None)  # the web server hands updates in (bot/web/)

    app = (
        with_aiohttp(builder, get_updates=inbox.updates_request)
        .rate_limiter(limits)
        .update_queue(inbox.queue)
        .concurrent_updates(update_processor(on_done=inbox.handled))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                # A reply whose command was deleted meanwhile (groups with cleanup bots) still
                # goes out, without the reference.
                allow_sending_without_reply=True,
            )
        )
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
        .build()
    )
    add_handlers(app, settings)
    return app


def add_handlers(app: App, settings: Settings) -> None:
    """Register every handler. Order matters: known commands before the fallbacks."""

    def page(name: str, **values: Any) -> str:
        """A reply from its template, for plumbing's handlers (the services are open once
        updates are handled)."""
        return app.bot_data.services.pages.render_page(name, **values)

    async def move_chat(old_chat_id: int, new_chat_id: int) -> None:
        await migrate_chat(app.bot_data.services.db, old_chat_id, new_chat_id)

    # Group -2 runs first: edits are not commands (bot/plumbing/edits.py). Then group -1: a
    # flooding user is stopped before any handler spends a send.
    app.add_handler(edits_handler(), group=-2)
    guard = flood.FloodGuard(settings.user_commands_per_minute, settings.admin_ids)
    app.add_handler(guard.handler(lambda: page("slow_down")), group=-1)
    # The conversation first, so that while a draft is open its steps take the editor's text.
    app.add_handler(add_conversation())
    # An editor's value or label typed after a review's Edit (bot/editors/review.py).
    app.add_handler(MessageHandler(review.AwaitingEdit(app.user_data), review.take_edit))

    # Then the commonest: a section (of any situation; sections are data), before the rest.
    def section_names() -> frozenset[str]:
        return (
            app.bot_data.services.situations.section_names()
            if app.bot_data.is_open
            else (frozenset())
        )

    app.add_handler(
        MessageHandler(sections.SectionCommand(section_names), sections.section_or_unknown)
    )
    for command in (*PUBLIC_COMMANDS, *EDITOR_COMMANDS):
        if command.callback is not None:
            app.add_handler(CommandHandler(command.name, command.callback))
    app.add_handler(
        CallbackQueryHandler(sections.section_button, pattern=f"^{SECTION_CALLBACK_PREFIX}")
    )
    app.add_handler(CallbackQueryHandler(cables.attach_cable, pattern=f"^{cables.ATTACH_PREFIX}"))
    app.add_handler(CallbackQueryHandler(bursts.decide_burst, pattern=bursts.PATTERN))
    app.add_handler(CallbackQueryHandler(review.review_tap, pattern=review.PATTERN))
    app.add_handler(
        CallbackQueryHandler(subscriptions.subscribe_button, pattern=f"^{SUBSCRIBE_CALLBACK}$")
    )
    app.add_handler(
        CallbackQueryHandler(
            sections.situations_page, pattern=f"^{sections.SITUATIONS_PAGE_PREFIX}"
        )
    )
    app.add_handler(
        CallbackQueryHandler(cables.cables_page, pattern=f"^{cables.CABLES_PAGE_PREFIX}")
    )
    app.add_handler(
        CallbackQueryHandler(
            editors_situations.situations_page,
            pattern=f"^{editors_situations.SITUATIONS_PAGE_PREFIX}",
        )
    )
    # Any other tap (an older version's button, a closed /add, forged data) is answered too.
    app.add_handler(callbacks.fallback_handler(lambda: page("stale_button")))
    app.add_handler(InlineQueryHandler(inline.inline_briefings))
    app.add_handler(
        ChatMemberHandler(subscriptions.chat_membership, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, subscriptions.chat_migrated))
    # Fallbacks: whatever no handler above took.
    # Every other command: a section of a situation (sections are data), or unknown.
    app.add_handler(MessageHandler(filters.COMMAND, sections.section_or_unknown))
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, sections.text_hint
        )
    )
    app.add_error_handler(
        errors.ErrorHandler(
            token=settings.token,
            editors=settings.admin_ids,
            is_open=lambda: app.bot_data.is_open,
            page=page,
            digest=lambda: app.bot_data.services.error_digest,
            move_chat=move_chat,
        )
    )


async def set_menus_and_profile(app: App, settings: Settings) -> None:
    """The command menus, then the bot's description and short description (bot/profile.py)."""
    await register_menus(app, settings)
    services = app.bot_data.services
    await set_profile(app.bot, services.pages, await services.situations.current())


async def register_menus(app: App, settings: Settings) -> None:
    """Public menu for everyone; each editor's private chat also lists the editor commands."""
    sections = (await app.bot_data.services.situations.current()).sections
    try:
        await app.bot.set_my_commands(menu(PUBLIC_COMMANDS, sections))
    except TelegramError as exc:
        log.warning("command menu not set (it is tried again at the next start): %s", exc)
        return
    for editor_id in sorted(settings.admin_ids):
        try:
            await app.bot.set_my_commands(
                menu((*PUBLIC_COMMANDS, *EDITOR_COMMANDS), sections),
                scope=BotCommandScopeChat(editor_id),
            )
        except BadRequest as exc:
            # Telegram knows the chat only once the editor has started the bot.
            log.warning("no editor menu for user_id=%s yet: %s", editor_id, exc.message)
