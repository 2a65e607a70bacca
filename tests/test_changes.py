"""What changed, and "Since you last looked": through the real Application and the fake Bot API."""

from __future__ import annotations

from typing import Any

from bench import factories
from briefings.facts.changes import changes
from briefings.rendering.renderer import BRIEF_SCREEN
from briefings.rendering.telegram_html import visible_length, visible_text
from tests.conftest import RunningBot

SINCE = "Since you last looked"
OTHER_READER = 5550002


def text_of(call: Any) -> str:
    return visible_text(call.params.get("text") or call.params["caption"])


async def editor(bot: RunningBot, text: str) -> str:
    reply = text_of(await bot.send(factories.editor_message(text)))
    assert not reply.startswith("⚠️"), reply
    return reply


async def other_reader(bot: RunningBot, text: str) -> str:
    chat = factories.private_chat(OTHER_READER)
    return text_of(await bot.send(factories.message(text, chat=chat)))


async def test_an_editors_change_leads_a_readers_next_brief_once(bot: RunningBot) -> None:
    first = text_of(await bot.say("/brief"))
    assert SINCE not in first  # nothing read before: nothing to say

    await editor(
        bot, "/set russian_troops_in_belarus ~12k https://example.org/r 2024-09-02 by ISW"
    )
    call = await bot.say("/brief")
    led = text_of(call)
    assert led.startswith(SINCE + "\n")
    assert (
        "• Russian troops still in Belarus: around 10k → about 12,000 troops"
        " (ISW, per the editors, from example.org, as of 2 Sep 2024)" in led
    )
    # The change line counts toward the brief's one screen, and the brief follows it.
    assert visible_length(call.params["text"]) <= BRIEF_SCREEN
    assert "Bottom line" in led.split(SINCE)[1]

    assert SINCE not in text_of(await bot.say("/brief"))  # seen once: not again
    assert SINCE not in text_of(await bot.say("/forces"))  # nor in another section


async def test_a_reader_who_never_read_the_old_version_gets_no_since(bot: RunningBot) -> None:
    await bot.say("/brief")
    await editor(bot, "/set russian_troops_in_belarus ~12k")
    assert SINCE in text_of(await bot.say("/claims"))  # every section opens with it
    assert SINCE not in await other_reader(bot, "/brief")
    assert SINCE not in await other_reader(bot, "/brief")


async def test_a_set_then_undone_leads_with_nothing(bot: RunningBot) -> None:
    await bot.say("/brief")
    await editor(bot, "/set russian_troops_in_belarus ~12k")
    await editor(bot, "/undo")
    assert SINCE not in text_of(await bot.say("/brief"))


async def test_at_most_three_lines_the_latest(bot: RunningBot) -> None:
    await bot.say("/forces")
    await editor(bot, "/set russian_troops_in_belarus ~12k")
    await editor(bot, "/set belarus_active_army ~65k")
    await editor(bot, "/claim ukraine_massed_120k verdict plausible")
    await editor(bot, "/retire border_length")
    forces = text_of(await bot.say("/forces"))
    lead = forces.split("\n\n")[0].splitlines()
    assert lead[0] == SINCE and len(lead) == 4
    assert "Russian troops still in Belarus" not in lead[1]  # the oldest gives way
    assert any("Ukraine" in line and "→ the editors' verdict: plausible" in line for line in lead)
    assert any("taken out of the briefing by the editors" in line for line in lead)


async def test_changes_are_the_net_change_of_each_statement(bot: RunningBot) -> None:
    store, edit = bot.desk.store, bot.desk.editor
    start = await store.content_version()
    await editor(bot, "/set russian_troops_in_belarus ~12k")
    await editor(bot, "/set russian_troops_in_belarus 15000")
    await editor(bot, "/claim ukraine_massed_120k verdict unlikely")
    await editor(bot, "/retire border_length")
    await editor(bot, "/undo")  # the retirement, undone
    found = await changes(store, start)
    assert [change.kind for change in found] == ["fact_changed", "verdict_changed"]
    figure = found[0]
    assert figure.before is not None and figure.after is not None
    assert figure.before.value.display() == "around 10k"  # type: ignore[union-attr]
    assert figure.after.value.display() == "15,000 troops"  # type: ignore[union-attr]
    # Between two versions: only what happened between them.
    second = (await edit.history(limit=5))[-2].id
    assert [c.kind for c in await changes(store, start, second)] == ["fact_changed"]
    assert await changes(store, await store.content_version()) == []


async def test_forget_erases_the_versions_a_reader_last_read(bot: RunningBot) -> None:
    await bot.say("/brief")
    await bot.services.last_seen.flush()
    reply = text_of(await bot.say("/forget"))
    assert "the version you last read of 1 situation" in reply
    db = bot.services.db
    assert await db.fetch_value("SELECT COUNT(*) FROM reader_versions") == 0
    await editor(bot, "/set russian_troops_in_belarus ~12k")
    assert SINCE not in text_of(await bot.say("/brief"))  # forgotten: a reader anew
    assert "the version you last read of 1 situation" in text_of(await bot.say("/forget"))
    assert "no last-read versions (there were none)" in text_of(await bot.say("/forget"))
