"""The bot's own HTTP server (webhook mode): Telegram's updates, on Starlette and uvicorn."""
