"""Delivery of the cables bot: settings, the Telegram application, handlers and the CLI."""
