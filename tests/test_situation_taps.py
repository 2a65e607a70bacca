"""Every situation one tap away, and a new default situation followed at once: the menu
changes with it, and the old default's section commands still answer."""

from __future__ import annotations

from bench import factories
from tests.auxil.fake_telegram import BOT_USERNAME
from tests.conftest import RunningBot

# The bot with a second situation (the fixture `two`, re-exported so pytest finds it here)
# and how its replies are read: test_situations' own.
from tests.test_situations import callbacks, text_of
from tests.test_situations import two as two

SLUG = "test-strait"
DEFAULT_MENU = '{"type": "default"}|'


async def test_situations_offers_each_situation_with_one_tap(two: RunningBot) -> None:
    listing = await two.say("/situations")
    # No "/brief test-strait": a tap on it would send "/brief" alone, the default situation's.
    assert f"/brief {SLUG}" not in text_of(listing)
    for section in ("brief", "fleets", "claims", "airspace"):
        link = f"https://t.me/{BOT_USERNAME}?start={section}-{SLUG}"
        assert f'<a href="{link}">/{section}</a>' in listing.params["text"]
    assert callbacks(listing) == [
        f"section:brief:{factories.SITUATION}", f"section:brief:{SLUG}",
    ]  # fmt: skip
    opened = await two.tap(listing, f"section:brief:{SLUG}")
    assert text_of(opened).startswith("📋 Naval drills in a test strait\n")
    # What a tap on a deep link sends: /start with the link's parameter.
    airspace = await two.say(f"/start airspace-{SLUG}")
    assert text_of(airspace).startswith("✈️ The airspace")


async def test_a_new_default_situation_changes_the_menu_and_old_commands_still_answer(
    two: RunningBot,
) -> None:
    telegram = two.telegram
    assert "fortifications" in [c["command"] for c in telegram.commands[DEFAULT_MENU]]
    await two.send(factories.editor_message(f"/situation current {SLUG}"))
    # The menu followed before the editor's reply.
    menu = [c["command"] for c in telegram.commands[DEFAULT_MENU]]
    assert "fleets" in menu and "airspace" in menu and "fortifications" not in menu
    editors = telegram.commands['{"chat_id": %d, "type": "chat"}|' % factories.EDITOR_ID]  # noqa: UP031
    assert "fleets" in [c["command"] for c in editors]
    assert "Naval drills in a test strait" in telegram.descriptions[""]

    # An older briefing's /fortifications (the new default has none) still answers, with the
    # section of the situation that has it; in a group too, and by deep link.
    fortifications = text_of(await two.say("/fortifications"))
    assert fortifications.startswith("🛡 Ukraine's northern defences")
    group = factories.group_chat()
    in_group = text_of(await two.send(factories.message("/calculus", chat=group)))
    assert in_group.startswith("♟ Before Lukashenko’s calculus")
    linked = text_of(await two.say("/start fortifications"))
    assert linked.startswith("🛡 Ukraine's northern defences")
    # What the new default has comes from it.
    assert text_of(await two.say("/brief")).startswith("📋 Naval drills in a test strait\n")
