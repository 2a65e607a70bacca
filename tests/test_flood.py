"""The flood guard's work per update is the same however many readers it has seen: past
10,000 readers a minute it rescanned every one of them on each update (2 ms an update).
Work is counted, not timed: the guard's clock hands out numbers that count each comparison
of two times."""

from __future__ import annotations

from typing import Any

from bot.plumbing.flood import WINDOW_SECONDS, FloodGuard, Verdict


class Counted(float):
    """A time whose subtractions (each comparison of two times) are counted."""

    done = 0

    def __sub__(self, other: Any) -> float:
        Counted.done += 1
        return float(self) - float(other)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> Counted:
        return Counted(self.now)


def work(guard: FloodGuard, user_id: int) -> tuple[Verdict, int]:
    before = Counted.done
    verdict = guard.judge(user_id)
    return verdict, Counted.done - before


async def test_work_per_update_does_not_grow_with_readers(settings: Any) -> None:
    clock = Clock()
    guard = FloodGuard(settings.user_commands_per_minute, settings.admin_ids, clock=clock)
    readers = 20_000
    for user_id in range(readers):
        clock.now = user_id / readers  # all within one second
        guard.judge(user_id)
    assert guard.readers == readers
    # One more reader, and one seen before: a handful of comparisons, not 20,000.
    for user_id in (readers + 1, 7):
        verdict, done = work(guard, user_id)
        assert verdict is Verdict.ALLOW and done <= 8
    # A minute later, a new crowd: the first crowd is forgotten a few at each update, every
    # update still doing a handful of comparisons, and none of them left at the end.
    most = 0
    for user_id in range(readers, 2 * readers):
        clock.now = WINDOW_SECONDS + 1 + (user_id - readers) / readers
        verdict, done = work(guard, 100_000 + user_id)
        assert verdict is Verdict.ALLOW
        most = max(most, done)
    assert most <= 8
    assert guard.readers == readers  # the new crowd alone


async def test_the_limit_holds_within_the_window_and_lifts_after_it(make_settings: Any) -> None:
    clock = Clock()
    settings = make_settings(user_commands_per_minute=3)
    guard = FloodGuard(settings.user_commands_per_minute, settings.admin_ids, clock=clock)
    assert [guard.judge(1) for _ in range(5)] == [
        Verdict.ALLOW, Verdict.ALLOW, Verdict.ALLOW, Verdict.WARN, Verdict.STOP,
    ]  # fmt: skip
    clock.now = WINDOW_SECONDS - 0.5
    assert guard.judge(1) is Verdict.STOP
    clock.now = WINDOW_SECONDS
    assert guard.judge(1) is Verdict.ALLOW
    assert [guard.judge(1) for _ in range(3)] == [Verdict.ALLOW, Verdict.ALLOW, Verdict.WARN]
