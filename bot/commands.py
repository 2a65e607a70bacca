"""The one list of commands: it registers the handlers and feeds the menu, /help and README."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import BotCommand, Update
from telegram.ext import ContextTypes

from bot import handlers
from bot.services import services
from briefings.sections import SECTIONS


@dataclass(frozen=True, slots=True)
class Command:
    """A slash command: its name, its one-line description and its handler."""

    name: str
    description: str
    callback: handlers.Handler

    def bot_command(self) -> BotCommand:
        return BotCommand(self.name, self.description)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List every command with one line each."""
    message = update.effective_message
    if message is not None:
        text = services(context).renderer.render_page(
            "help", commands=PUBLIC_COMMANDS, editor_commands=()
        )
        await message.reply_html(text)


PUBLIC_COMMANDS: tuple[Command, ...] = (
    Command("start", "What this bot is, and the sections", handlers.start),
    Command("help", "Every command, one line each", help_command),
    *(
        Command(section.name, section.summary, handlers.section_command(section.name))
        for section in SECTIONS
    ),
)


def menu(commands: tuple[Command, ...] = PUBLIC_COMMANDS) -> list[BotCommand]:
    """The command menu Telegram shows, in the list's order."""
    return [command.bot_command() for command in commands]
