"""Starting and stopping the Application inside an event loop someone else runs, in the
order run_polling keeps (the tests, `cables-bot try` and webhook mode's server use it)."""

from __future__ import annotations

from telegram import Update

from bot.context import App


async def start_polling_app(app: App, poll_timeout: int) -> None:
    """Initialise, run post_init, start polling (getUpdates long-polls poll_timeout s)."""
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    assert app.updater is not None
    await app.updater.start_polling(allowed_updates=Update.ALL_TYPES, timeout=poll_timeout)
    await app.start()


async def stop_app(app: App) -> None:
    """Stop what runs, then post_stop, shutdown and post_shutdown, as run_polling does."""
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    if app.post_stop is not None:
        await app.post_stop(app)
    await app.shutdown()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)
