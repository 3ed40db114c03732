"""A clock of seconds that tests set by hand (for code that takes a `() -> float` clock)."""

from __future__ import annotations


class ManualClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now
