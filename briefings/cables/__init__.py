"""Cables and their teasers: the feed, the post page, each cable stored once (no Telegram)."""
