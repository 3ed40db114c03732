"""The time a chore may hold the event loop: a share of the time passing, saved up to a
burst, spent by each run; a run longer than what was left is paid back by waiting."""

from __future__ import annotations

from shared.runtime.time_allowance import TimeAllowance


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_run_that_overspends_waits_until_the_share_of_time_passing_pays_it_back() -> None:
    # Given an allowance of 5% of the time, 2 s at most, spent on a 3 s run,
    clock = Clock()
    allowance = TimeAllowance(share=0.05, burst_s=2.0, clock=clock)
    assert allowance.available()
    allowance.spend(3.0)

    # then nothing is left until 20 s have paid back the second overspent,
    clock.now += 19.0
    assert not allowance.available()
    clock.now += 2.0
    assert allowance.available()


def test_the_allowance_saved_up_never_exceeds_the_burst() -> None:
    clock = Clock()
    allowance = TimeAllowance(share=0.05, burst_s=2.0, clock=clock)
    clock.now += 3_600.0
    assert allowance.available()
    allowance.spend(2.0)
    assert not allowance.available()
