"""Editors curate facts from the chat, through the real Application and the fake Bot API."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bench import factories
from bot.commands import EDITOR_COMMANDS
from bot.settings import Settings
from briefings.rendering.telegram_html import visible_text
from tests.conftest import RunningBot
from tests.test_bot_commands import buttons

HOSTILE = "<b>bold?</b> & \"q\" 'x' 🇺🇦 עברית \u202e'; DROP TABLE facts;--"


def text_of(call: Any) -> str:
    """What a reply says, without a section's "Since you last looked" lead: the reader here
    reads again after each change, and what changed is tested in tests/test_changes.py."""
    text = visible_text(call.params.get("text") or call.params["caption"])
    if text.startswith("Since you last looked\n"):
        return text.split("\n\n", 1)[1]
    return text


def snapshot(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, read by a separate connection."""
    with sqlite3.connect(path) as conn:
        # The inbox holds updates while they are handled: plumbing, not what a change wrote.
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
                  if r[0] != "inbox"]  # fmt: skip
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in tables}


async def editor(bot: RunningBot, text: str) -> Any:
    return await bot.send(factories.editor_message(text))


async def test_set_history_undo_round_trip(bot: RunningBot) -> None:
    before = text_of(await bot.say("/forces"))
    assert "Russian troops still in Belarus: around 10k\n" in before

    reply = text_of(await editor(bot, "/set russian_troops_in_belarus ~12k"))
    assert "Changed russian_troops_in_belarus" in reply
    assert "Before: Russian troops still in Belarus: around 10k (as of Aug 2024)" in reply
    assert "After: Russian troops still in Belarus: about 12,000 troops" in reply
    assert "Readers now see:" in reply and "per the editors" in reply

    after = text_of(await bot.say("/forces"))
    assert "Russian troops still in Belarus: about 12,000 troops (per the editors, as of" in after
    # "Readers now see" is the line readers get, word for word.
    assert reply.split("Readers now see:\n")[1].strip() in after

    history = text_of(await editor(bot, "/history russian_troops_in_belarus"))
    assert "Edith (5550099)" in history
    assert "set fact russian_troops_in_belarus" in history
    assert "from: Russian troops still in Belarus: around 10k" in history
    assert " UTC" in history

    undone = text_of(await editor(bot, "/undo"))
    assert "Undid change #1 to russian_troops_in_belarus" in undone
    assert "recorded as change #2" in undone
    assert text_of(await bot.say("/forces")) == before

    history = text_of(await editor(bot, "/history"))
    assert "undo of #1 fact russian_troops_in_belarus" in history
    assert text_of(await editor(bot, "/undo")).startswith("⚠️ you have no change left to undo")


async def test_a_changed_value_carries_its_own_voice_not_the_cables(
    bot: RunningBot, settings: Settings
) -> None:
    # Rule 4: the new value is the editors', or whoever the editor names; the cable's words
    # that the old value rested on are not shown with it, and stay in the history.
    await editor(bot, "/set ukraine_kursk_troops 12-14k https://example.org/kursk by ISW")
    forces = text_of(await bot.say("/forces"))
    assert (
        "Ukrainian troops in the Kursk incursion: 12,000–14,000 troops (ISW, per the editors"
        in (forces)
    )
    assert "example.org" in forces and "open intel analysts" not in forces
    await editor(bot, "/set russian_troops_in_belarus 12k https://www.example.net/r")
    forces = (await bot.say("/forces")).params["text"]
    assert '(per the editors, from <a href="https://www.example.net/r">example.net</a>' in forces
    with sqlite3.connect(settings.database_path) as conn:
        row = conn.execute(
            "SELECT voice, claimant, quote, source_cable_id FROM facts"
            " WHERE key = 'russian_troops_in_belarus'"
        ).fetchone()
        before = conn.execute(
            "SELECT before_json FROM changes WHERE key = 'russian_troops_in_belarus'"
        ).fetchone()[0]
    assert row == ("editors", "The editors", None, None)
    assert "around 10k Russian troops still in Belarus" in before  # the cable's words, kept
    # The history names who says so; /facts shows it to editors.
    facts = text_of(await editor(bot, "/facts forces"))
    assert "ISW, per the editors" in facts and "per the editors" in facts


async def test_values_are_data_never_markup(bot: RunningBot, settings: Settings) -> None:
    await editor(bot, f"/set fortification_types {HOSTILE}")
    await editor(bot, f"/set bottom_threat {HOSTILE}")
    for command in ("/fortifications", "/brief"):
        assert HOSTILE in text_of(await bot.say(command))
    with sqlite3.connect(settings.database_path) as conn:
        stored = conn.execute(
            "SELECT value_text FROM facts WHERE key = 'fortification_types'"
        ).fetchone()
    assert stored == (HOSTILE,)


async def test_a_change_that_would_overflow_a_briefing_is_refused(
    bot: RunningBot, settings: Settings
) -> None:
    before = snapshot(settings.database_path)
    long_text = "trenches " * 30  # within the 300-character value limit
    for _ in range(12):
        reply = text_of(await editor(bot, f"/add forces | Line | text: {long_text} | Us"))
        if reply.startswith("⚠️"):
            break
    assert "over Telegram's limit of 4,096" in reply
    after = snapshot(settings.database_path)
    added = len(after["facts"]) - len(before["facts"])
    assert added == len(after["changes"]) - len(before["changes"]) > 0  # fact and history agree
    assert len(text_of(await bot.say("/forces"))) <= 4096


async def test_retire_hides_a_fact_and_undo_brings_it_back(bot: RunningBot) -> None:
    line = "Dug along the border: trenches and fortifications"
    assert line in text_of(await bot.say("/fortifications"))
    reply = text_of(await editor(bot, "/retire fortification_types"))
    assert "Retired fortification_types" in reply and "Readers no longer see it." in reply
    assert line not in text_of(await bot.say("/fortifications"))
    history = text_of(await editor(bot, "/history fortification_types"))
    assert "retire fact fortification_types" in history
    await editor(bot, "/undo")
    assert line in text_of(await bot.say("/fortifications"))


async def test_undo_never_clobbers_another_editors_later_change(
    make_settings: Any, telegram: Any
) -> None:
    from tests.conftest import start_bot, stop_bot

    second_editor = factories.user(5550100, "Otto")
    app = await start_bot(make_settings(admin_ids=frozenset({factories.EDITOR_ID, 5550100})))
    bot = RunningBot(app, telegram)
    try:
        await editor(bot, "/set russian_troops_in_belarus 12k")
        chat = factories.private_chat(5550100)
        await bot.send(
            factories.message("/set russian_troops_in_belarus 15k", chat, second_editor)
        )
        refused = text_of(await editor(bot, "/undo"))
        assert "has changed since your change #1" in refused
        assert "15,000 troops" in text_of(await bot.say("/forces"))
    finally:
        await stop_bot(app)


async def test_claims_can_be_added_and_changed(bot: RunningBot) -> None:
    added = text_of(
        await editor(
            bot,
            "/claim new Russia | NATO troops are in Ukraine's north | 5k troops | "
            "unsupported | No evidence offered | https://example.org/claim",
        )
    )
    assert "Added claim russia_nato_troops_are" in added
    claims = text_of(await bot.say("/claims"))
    assert (
        "Russia claims NATO troops are in Ukraine's north: 5,000 troops."
        " (as the editors report it, from example.org)"
        " The editors' verdict: unsupported. No evidence offered."
    ) in claims

    changed = text_of(await editor(bot, "/claim ukraine_massed_120k verdict false and absurd"))
    assert "Changed claim ukraine_massed_120k" in changed
    assert "verdict: preposterous" in changed
    claims = text_of(await bot.say("/claims"))
    assert "The editors' verdict: false and absurd." in claims
    assert "The cable's verdict" not in claims
    await editor(bot, "/undo")
    assert "The cable's verdict: preposterous." in text_of(await bot.say("/claims"))


async def test_one_line_add(bot: RunningBot) -> None:
    reply = text_of(
        await editor(
            bot,
            "/add forces | Belarusian tanks at the border | ~300 tanks | ISW"
            " | https://example.org/tanks | 2024-09-02",
        )
    )
    assert "Added belarusian_tanks_at_the_border " in reply  # a key of whole words
    forces = text_of(await bot.say("/forces"))
    belarus = forces.split("🇷🇺 Russia")[0]  # grouped with Belarus, which its label names
    assert (
        "Belarusian tanks at the border: about 300 tanks"
        " (ISW, per the editors, from example.org, as of 2 Sep 2024)"
    ) in belarus


async def test_a_figure_credited_to_a_side_is_that_sides_claim(
    bot: RunningBot, settings: Settings
) -> None:
    # docs/EDITORIAL.md, rule 3: a side's number is a claim wherever it comes from, /add or /set.
    reply = text_of(
        await editor(
            bot,
            "/add forces | Belarusian tanks at the border | ~300 tanks | Ukrainian border guard",
        )
    )
    assert reply.startswith("✅ Added claim ukrainian_border_guard_belarusian_tanks ")
    reply = text_of(
        await editor(bot, "/set ukraine_northern_border_troops 5000 by Ukraine's General Staff")
    )
    assert "Added claim ukraine_s_general_staff_ukraine " in reply
    forces = text_of(await bot.say("/forces"))
    figures, claims = forces.split("The sides' claims")
    assert "Ukraine, on its northern border: most likely has only a few thousand troops" in figures
    assert "300 tanks" not in figures and "5,000" not in figures
    assert "• Ukrainian border guard claims Belarusian tanks at the border: about 300 tanks." in (
        claims
    )
    assert (
        "• Ukraine's General Staff claims Ukraine, on its northern border: 5,000 troops." in claims
    )
    with sqlite3.connect(settings.database_path) as conn:
        edited = conn.execute("SELECT COUNT(*) FROM facts WHERE edited_by IS NOT NULL")
        assert edited.fetchone() == (0,)  # both went in as claims; no figure changed


async def test_guided_add_end_to_end(bot: RunningBot) -> None:
    start = await editor(bot, "/add")
    assert "Add a fact or a claim" in text_of(start)
    step = await bot.tap(start, "add:section:fortifications", factories.editor())
    assert "New fact in fortifications · step 1 of 5" in text_of(step)
    # The example is in italics, as Telegram shows <i>, never as the tag's escaped text.
    assert "<i>Belarusian tanks at the border</i>" in step.params["text"]
    assert "&lt;" not in step.params["text"]

    step = await editor(bot, "Minefields")
    assert "step 2 of 5" in text_of(step)
    step = await editor(bot, "2O000")  # a typo gets a reason and the same question again
    assert "step 2 of 5" in text_of(step) and "a letter O for a zero?" in text_of(step)
    step = await editor(bot, "a few hundred")  # a fact without a number may hold words
    assert "step 3 of 5" in text_of(step)
    step = await editor(bot, "\x07bell")
    assert "step 3 of 5" in text_of(step) and "control characters" in text_of(step)
    step = await editor(bot, "Open-source mappers")
    assert "step 4 of 5" in text_of(step) and "(or tap Skip)" in text_of(step)
    step = await bot.tap(step, "add:skip", factories.editor())
    assert "step 5 of 5" in text_of(step)
    assert [b["text"] for b in buttons(step)] == ["Today", "Cancel"]
    confirm = await editor(bot, "2024-09-05")
    assert "Save this fact? Readers will see:" in text_of(confirm)
    # The preview is the saved line, word for word, in the voice it will have.
    preview = text_of(confirm).split("Readers will see:\n\n")[1].strip()
    assert preview == (
        "• Minefields: a few hundred (Open-source mappers, per the editors, as of 5 Sep 2024)"
    )
    done = await bot.tap(confirm, "add:save", factories.editor())
    assert "Added minefields" in text_of(done)
    assert preview in text_of(await bot.say("/fortifications"))


async def test_a_guided_figure_from_a_side_previews_and_saves_as_its_claim(
    bot: RunningBot,
) -> None:
    start = await editor(bot, "/add")
    await bot.tap(start, "add:section:forces", factories.editor())
    await editor(bot, "Ukrainian troops on the northern border")
    await editor(bot, "~8k")
    step = await editor(bot, "Ukrainian General Staff")
    step = await bot.tap(step, "add:skip", factories.editor())
    confirm = await bot.tap(step, "add:skip", factories.editor())
    assert "Save this claim? Readers will see:" in text_of(confirm)
    preview = text_of(confirm).split("Readers will see:\n\n")[1].strip()
    assert preview.startswith("• Ukrainian General Staff claims Ukrainian troops on the northern")
    assert "per the cable" not in preview
    done = await bot.tap(confirm, "add:save", factories.editor())
    assert "Added claim" in text_of(done)
    assert preview in text_of(await bot.say("/claims"))


async def test_a_changed_verdict_leaves_the_cables_reasoning_to_the_history(
    bot: RunningBot,
) -> None:
    reply = text_of(await editor(bot, "/claim ukraine_massed_120k verdict unproven"))
    assert "Pokrovsk" not in reply.split("Readers now see:")[1]
    claims = text_of(await bot.say("/claims"))
    assert "The editors' verdict: unproven." in claims
    assert "Pokrovsk" not in claims and "The evidence" not in claims
    history = text_of(await editor(bot, "/history ukraine_massed_120k"))
    assert "preposterous" in history


async def test_a_new_value_leaves_the_cables_quoted_words_out_of_the_label(
    bot: RunningBot, settings: Settings
) -> None:
    def relabel() -> None:
        with sqlite3.connect(settings.database_path, timeout=30) as conn:
            conn.execute(
                "UPDATE facts SET label = 'Ukrainian troops on the northern border"
                " (“most likely”)' WHERE key = 'ukraine_northern_border_troops'"
            )

    # Off the event loop: the bot may hold the writer a moment (its counts, an inbox write),
    # and a blocked loop could not let it go.
    await asyncio.to_thread(relabel)
    reply = text_of(
        await editor(bot, "/set ukraine_northern_border_troops text: several brigades by ISW")
    )
    seen = reply.split("Readers now see:")[1]
    assert "Ukrainian troops on the northern border: several brigades (ISW" in seen
    assert "most likely" not in seen


async def test_guided_claim_and_cancel(bot: RunningBot, settings: Settings) -> None:
    start = await editor(bot, "/add")
    step = await bot.tap(start, "add:section:claim", factories.editor())
    assert "New claim · step 1 of 7" in text_of(step)
    await editor(bot, "Belarus")
    step = await editor(bot, "Ukraine shelled Belarusian villages")
    assert "A figure claimed?" in text_of(step)
    before = snapshot(settings.database_path)
    cancelled = await editor(bot, "/cancel")
    assert text_of(cancelled) == "Cancelled: nothing was saved."
    assert snapshot(settings.database_path) == before
    # After cancel, typing is just text again.
    assert "/brief" in text_of(await editor(bot, "Belarus"))

    start = await editor(bot, "/add")
    cancelled = await bot.tap(start, "add:cancel", factories.editor())
    assert text_of(cancelled) == "Cancelled: nothing was saved."
    assert text_of(await editor(bot, "/cancel")) == "There is nothing to cancel."


async def test_guided_add_in_a_group_points_to_a_private_chat(bot: RunningBot) -> None:
    reply = await bot.send(factories.editor_message("/add", chat=factories.group_chat()))
    assert "works in a private chat" in text_of(reply)


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        ("/set", "give a fact's key and its new value"),
        ("/set russian_troops_in_belarus", "give a fact's key and its new value"),
        ("/set no_such_key 20k", "there is no live fact 'no_such_key'"),
        ("/set russian_troops_in_belarus twenty", "this fact holds a number"),
        ("/set russian_troops_in_belarus 20k 2099-01-01", "the as-of date is in the future"),
        ("/facts weather", "sections are: forces"),
        ("/add forces | only a label", "separate the fields with |"),
        ("/add weather | a | 1 | b", "sections are: forces"),
        ("/claim", "give a claim's key, a field"),
        ("/claim new just one field", "separate the claim's fields with |"),
        ("/claim ukraine_massed_120k colour red", "a claim's fields are: claimant"),
        ("/claim no_such verdict x", "there is no live claim 'no_such'"),
        ("/retire", "give exactly one key"),
        ("/retire a b", "give exactly one key"),
        ("/retire no_such_key", "there is no live fact or claim 'no_such_key'"),
        ("/history a b", "give at most one key"),
        ("/undo now", "/undo takes no arguments"),
        ("/undo", "you have no change left to undo"),
    ],
)
async def test_malformed_editor_commands_get_their_usage(
    bot: RunningBot, settings: Settings, command: str, problem: str
) -> None:
    before = snapshot(settings.database_path)
    reply = text_of(await editor(bot, command))
    name = command.split()[0].lstrip("/")
    assert reply.startswith(f"⚠️ {problem}")
    assert "Usage: /" + name in reply and "Example: /" + name in reply
    assert snapshot(settings.database_path) == before


async def test_an_editor_command_shows_one_usage_in_help_and_on_a_mistake(
    bot: RunningBot,
) -> None:
    help_text = text_of(await editor(bot, "/help"))
    mistakes = ("/facts weather", "/set", "/add forces | only a label", "/claim", "/retire",
                "/history a b", "/situation new", "/publish not-a-link")  # fmt: skip
    for mistake in mistakes:
        name = mistake.split()[0]
        shown = text_of(await editor(bot, mistake)).split("Usage: ", 1)[1].split("\n", 1)[0]
        [line] = [line for line in help_text.splitlines() if line.startswith(f"{name} – ")]
        assert line.endswith(f": {shown}"), (line, shown)


async def test_non_editors_are_refused_and_nothing_changes(
    bot: RunningBot, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    before = snapshot(settings.database_path)
    attempts = {
        "facts": "/facts",
        "set": "/set russian_troops_in_belarus 1 SECRET-TEXT",
        "add": "/add forces | a | 1 | SECRET-TEXT",
        "claim": "/claim new a | SECRET-TEXT",
        "retire": "/retire border_length",
        "history": "/history",
        "undo": "/undo",
    }
    with caplog.at_level(logging.WARNING, logger="bot.editors.facts"):
        for name, command in attempts.items():
            reply = text_of(await bot.say(command))
            assert reply.startswith(f"Sorry, /{name} is for the newsletter's editors.")
    assert snapshot(settings.database_path) == before
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert refusals == [
        f"refused editor command user_id={factories.READER_ID} command=/{name}"
        for name in attempts
    ]
    assert not any("SECRET-TEXT" in r.getMessage() for r in caplog.records)


async def test_facts_lists_keys_values_and_provenance(bot: RunningBot) -> None:
    listing = text_of(await editor(bot, "/facts forces"))
    assert "russian_troops_in_belarus · forces" in listing
    assert "Russian troops still in Belarus: around 10k\nper the cable · as of Aug 2024" in (
        listing
    )
    # Editors see the cable's words each statement rests on, to check it against the cable.
    assert "the cable's words: “There are also around 10k Russian troops still in Belarus.”" in (
        listing
    )
    assert "ukraine_massed_120k" not in listing
    before = len(bot.telegram.sent(factories.EDITOR_ID))
    await editor(bot, "/facts")
    await bot.settled()  # a long listing comes as several messages
    everything = "\n".join(
        text_of(call) for call in bot.telegram.sent(factories.EDITOR_ID)[before:]
    )
    assert "ukraine_massed_120k · claim" in everything
    assert "calculus_second_front · calculus" in everything


async def test_editor_menu_and_help(bot: RunningBot) -> None:
    scoped = bot.telegram.commands[
        '{"chat_id": %d, "type": "chat"}|' % factories.EDITOR_ID  # noqa: UP031
    ]
    assert [c["command"] for c in scoped][-len(EDITOR_COMMANDS) :] == [
        c.name for c in EDITOR_COMMANDS
    ]
    public = bot.telegram.commands['{"type": "default"}|']
    assert not {c["command"] for c in public} & {c.name for c in EDITOR_COMMANDS}

    assert "For editors" in text_of(await editor(bot, "/help"))
    assert "For editors" not in text_of(await bot.say("/help"))


async def test_whoami(bot: RunningBot) -> None:
    assert text_of(await bot.say("/whoami")).startswith(
        f"Your Telegram user id is {factories.READER_ID}."
    )
    assert "You are an editor" in text_of(await editor(bot, "/whoami"))
