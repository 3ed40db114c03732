"""The read model's measure of how busy the event loop is: CPU time over wall time."""

from __future__ import annotations

from services.router.projection.load import ThreadLoad


class Clocks:
    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0

    def advance(self, wall_s: float, cpu_s: float) -> None:
        self.wall += wall_s
        self.cpu += cpu_s


def load_on(clocks: Clocks) -> ThreadLoad:
    return ThreadLoad(0.5, 0.2, wall=lambda: clocks.wall, cpu=lambda: clocks.cpu)


def test_thread_using_most_of_a_core_is_busy_until_a_quiet_window() -> None:
    clocks = Clocks()
    load = load_on(clocks)
    assert not load.busy()
    clocks.advance(0.2, 0.15)
    assert load.busy()
    clocks.advance(0.1, 0.0)  # within the window: the last measure stands
    assert load.busy()
    clocks.advance(0.1, 0.02)
    assert not load.busy()


def test_thread_using_half_a_core_or_less_is_not_busy() -> None:
    clocks = Clocks()
    load = load_on(clocks)
    clocks.advance(0.4, 0.2)
    assert not load.busy()
