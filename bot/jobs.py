"""The bot's scheduled jobs, run by the JobQueue (bot/app.py schedules them)."""

from __future__ import annotations

from bot.context import BotContext
from bot.forces_photo import warm_chart


async def poll_feed(context: BotContext) -> None:
    """Job: poll the newsletter's feed; new cables go to the outbox."""
    await context.publisher.poll_feed()


async def queue_daily_briefings(context: BotContext) -> None:
    """Job: put every daily briefing that is due in the outbox (once per chat and day)."""
    if await context.daily.queue_due((await context.situations.current()).id):
        context.worker.wake()


async def queue_update_pushes(context: BotContext) -> None:
    """Job: put the update pushes that are due in the outbox (bot/push/updates.py)."""
    if await context.services.updates.queue_due():
        context.worker.wake()


async def draw_chart_ahead(context: BotContext) -> None:
    """Job, once after start: the current situation's chart, drawn before anyone asks."""
    await warm_chart((await context.desks.current()).forces_photo)


async def write_stats(context: BotContext) -> None:
    """Job: write the counts /stats reads and the versions readers last read, kept in memory
    since the last time."""
    await context.stats.flush()
    await context.services.last_seen.flush()
