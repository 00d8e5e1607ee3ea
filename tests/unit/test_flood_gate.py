"""The per-user flood limit's counting, on a clock the test moves."""

from __future__ import annotations

from bot.middlewares.flood import FloodGate, Verdict
from bot.texts import ALERT_LIMIT, flood_warning


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def gate(clock: Clock) -> FloodGate:
    return FloodGate(limit=3, window=1.0, pause=10.0, clock=clock)


def test_over_the_limit_is_warned_once_then_ignored_until_the_pause_ends():
    clock = Clock()
    flood = gate(clock)
    verdicts = [flood.check(7) for _ in range(6)]
    assert verdicts == [Verdict.PASS] * 3 + [Verdict.WARN] + [Verdict.IGNORE] * 2
    clock.now += 9.9
    assert flood.check(7) is Verdict.IGNORE
    clock.now += 0.1
    assert [flood.check(7) for _ in range(4)] == [Verdict.PASS] * 3 + [Verdict.WARN]


def test_updates_spread_over_the_window_are_never_limited():
    clock = Clock()
    flood = gate(clock)
    for _ in range(20):
        assert flood.check(7) is Verdict.PASS
        clock.now += 0.34  # three per 1.02 s


def test_each_user_is_counted_on_their_own():
    flood = gate(Clock())
    assert [flood.check(7) for _ in range(3)] == [Verdict.PASS] * 3
    assert flood.check(8) is Verdict.PASS
    assert flood.check(7) is Verdict.WARN


def test_users_idle_for_the_window_and_the_pause_are_forgotten():
    clock = Clock()
    flood = gate(clock)
    for user_id in range(1000):
        flood.check(user_id)
    for _ in range(4):
        flood.check(5000)  # paused now, until 10 s from here
    clock.now += 9.0
    flood.check(6000)
    assert len(flood) == 1002
    clock.now += 1.0  # 10 s after the first 1000 and the pause
    flood.check(7000)
    assert len(flood) == 2  # the users seen in the last 10 s: 6000 and 7000


def test_the_warning_fits_a_buttons_alert():
    assert len(flood_warning(10.0)) <= ALERT_LIMIT and "10 seconds" in flood_warning(10.0)
