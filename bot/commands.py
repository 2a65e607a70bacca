"""The one list of commands: it registers the handlers and feeds the menu, /help and README."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import BotCommand, Update

from bot.context import BotContext
from bot.editors import cables, facts, review, situations, stats
from bot.editors.access import USAGES, EditorHandler
from bot.readers import forget, latest, sections, subscriptions, timeline
from briefings.situations import Section


@dataclass(frozen=True, slots=True)
class Command:
    """A slash command: its name, its one-line description and its handler.

    A command without a callback is registered by its conversation (see bot/editors/add_flow.py).
    """

    name: str
    description: str
    callback: EditorHandler | None

    def bot_command(self) -> BotCommand:
        return BotCommand(self.name, self.description)


async def help_command(update: Update, context: BotContext) -> None:
    """List every command with one line each."""
    message = update.effective_message
    if message is None:
        return
    user = update.effective_user
    text = context.pages.render_page(
        "help",
        commands=PUBLIC_COMMANDS,
        situation=await context.situations.current(),
        editor_commands=EDITOR_COMMANDS if context.is_editor(user.id if user else None) else (),
    )
    await message.reply_html(text)


async def nothing_to_cancel(update: Update, context: BotContext) -> None:
    """Answer /cancel outside the guided /add."""
    message = update.effective_message
    if message is not None:
        await message.reply_html(context.pages.render_page("nothing_to_cancel"))


def editor_command(name: str, summary: str, callback: EditorHandler | None) -> Command:
    """An editor command, described by what it does and then its usage: the very line a
    mistake in it shows (USAGES, bot/editors/access.py), so that the two cannot differ."""
    usage = USAGES[name].usage if name in USAGES else f"/{name}"
    return Command(name, summary if usage == f"/{name}" else f"{summary}: {usage}", callback)


PUBLIC_COMMANDS: tuple[Command, ...] = (
    Command("start", "What this bot is, and the sections", sections.start),
    Command("help", "Every command, one line each", help_command),
    # Then each section of the situation, from the data: /brief, /forces ... [situation].
    Command("situations", "The situations briefed on, and their sections", sections.situations),
    Command("latest", "The newest cables, with their links", latest.latest),
    Command(
        "timeline",
        "A figure's values over time: /timeline <figure or section>",
        timeline.timeline,
    ),
    Command(
        "subscribe",
        "Get each new cable; /subscribe updates: what changed too",
        subscriptions.subscribe,
    ),
    Command("unsubscribe", "Stop the pushes to this chat", subscriptions.unsubscribe),
    Command("status", "Whether this chat is subscribed, and to what", subscriptions.status),
    Command("forget", "Erase what the bot keeps about you", forget.forget),
    Command(
        "daily",
        "The briefing every day: /daily on [HH:MM] [time zone], or off",
        subscriptions.daily,
    ),
    Command("whoami", "Your Telegram user id", facts.whoami),
)

# Shown only to editors: in their own command menu and in their /help.
EDITOR_COMMANDS: tuple[Command, ...] = (
    editor_command("facts", "List facts with keys and sources", facts.list_facts),
    editor_command("set", "Change a fact", facts.set_fact),
    editor_command("add", "Add a fact or claim", None),
    editor_command("claim", "Add or change a claim", facts.claim),
    editor_command("retire", "Take a fact or claim out of the briefings", facts.retire),
    editor_command("history", "Who changed what, and when", facts.history),
    editor_command("undo", "Revert your own last change", facts.undo),
    editor_command("cancel", "Stop the guided /add", nothing_to_cancel),
    editor_command("situation", "Work in a situation", situations.situation),
    editor_command("cables", "The latest cables and their delivery progress", cables.list_cables),
    editor_command("preview", "The last cable's push, sent to you alone", cables.preview),
    editor_command("publish", "Push a cable by hand", cables.publish),
    editor_command(
        "drafts", "New cables' drafted statements waiting for review", review.list_drafts
    ),
    editor_command("stats", "Readers, subscribers, deliveries, clicks; a chart", stats.stats),
)


def menu(commands: tuple[Command, ...], sections: tuple[Section, ...] = ()) -> list[BotCommand]:
    """The command menu Telegram shows: start and help, the sections, then the rest."""
    head, rest = commands[:2], commands[2:]
    return [
        *(command.bot_command() for command in head),
        *(BotCommand(section.name, section.summary) for section in sections),
        *(command.bot_command() for command in rest),
    ]
