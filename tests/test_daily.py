"""Daily settings: times of day, time zones, and the next moment a briefing is due."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from bot.push.daily import DailySetting, find_zone, next_due, parse_time_of_day
from bot.readers.subscriptions import read_daily_setting


def at(text: str, zone: str = "UTC") -> float:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).timestamp()


def test_times_of_day_as_people_type_them() -> None:
    for typed in ("07:30", "7:30", "0730", "07.30", "07h30"):
        assert parse_time_of_day(typed) == time(7, 30), typed
    for typed in ("25:99", "7", "", "07:30:00", "noon"):
        assert parse_time_of_day(typed) is None, typed


def test_time_zones_by_their_iana_name_in_any_case() -> None:
    assert find_zone("europe/kyiv") == "Europe/Kyiv"
    assert find_zone("UTC") == "UTC"
    for hostile in ("../../etc/passwd", "Europe/Nowhere", "", "Europe/Kyiv\x00"):
        assert find_zone(hostile) is None, hostile


def test_next_due_is_strictly_after_now_in_the_chats_own_zone() -> None:
    setting = DailySetting(time(7, 30), "Europe/Kyiv")
    # 06:00 in Kyiv: today's 07:30 is still to come.
    assert next_due(setting, at("2026-06-01T06:00", "Europe/Kyiv")) == (
        at("2026-06-01T07:30", "Europe/Kyiv"),
        "2026-06-01",
    )
    # 07:30 exactly has just gone: tomorrow's.
    assert next_due(setting, at("2026-06-01T07:30", "Europe/Kyiv"))[1] == "2026-06-02"
    # 23:00 UTC on 1 June is already 2 June in Kyiv.
    assert next_due(setting, at("2026-06-01T23:00"))[1] == "2026-06-02"


def test_next_due_keeps_the_local_time_across_a_clock_change() -> None:
    setting = DailySetting(time(8, 0), "Europe/London")
    before = next_due(setting, at("2026-10-24T06:00", "Europe/London"))  # BST ends 25 Oct
    after = next_due(setting, before[0])
    assert after[0] - before[0] == 25 * 3600  # the night the clocks go back is an hour longer
    assert datetime.fromtimestamp(before[0], UTC).hour == 7  # 08:00 at UTC+1
    assert datetime.fromtimestamp(after[0], UTC).hour == 8  # 08:00 at UTC+0


def test_daily_words_in_either_order_keep_what_is_left_out() -> None:
    current = DailySetting(time(18, 30), "Europe/Kyiv")
    assert read_daily_setting([], current, "Europe/Kyiv")[0] == current
    assert read_daily_setting(["Europe/London"], current, "Europe/Kyiv")[0] == DailySetting(
        time(18, 30), "Europe/London"
    )
    assert read_daily_setting(["europe/kyiv", "7:05"], None, "UTC")[0] == DailySetting(
        time(7, 5), "Europe/Kyiv"
    )
    assert read_daily_setting([], None, "UTC")[0] == DailySetting(time(8, 0), "UTC")
    setting, problem = read_daily_setting(["<b>"], None, "UTC")
    assert setting is None and "Europe/Kyiv" in problem
