"""The bot without Telegram: a Bot API served on loopback, and `cables-bot try`."""
