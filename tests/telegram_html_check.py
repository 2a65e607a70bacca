"""Telegram's HTML and keyboard rules, as the local Bot API checks them
(bot/sandbox/html_rules.py)."""

from __future__ import annotations

from bot.sandbox.html_rules import HtmlRejected, check_html, check_reply_markup

__all__ = ["HtmlRejected", "check_html", "check_reply_markup"]
