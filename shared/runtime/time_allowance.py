"""How much of its time a process may spend on a chore that holds the event loop (pickling
state for a snapshot): a share of the time passing, saved up to a burst."""

from __future__ import annotations

import time
from collections.abc import Callable


class TimeAllowance:
    """Seconds the chore may take now: `share` of the time passed, at most `burst_s`. Each
    run spends what it took, so a run longer than the allowance is paid back by waiting."""

    def __init__(
        self, share: float, burst_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._share = share
        self._burst_s = burst_s
        self._clock = clock
        self._left = burst_s
        self._at = clock()

    def available(self) -> bool:
        """Whether some of the allowance is left (it is topped up first)."""
        now = self._clock()
        passed, self._at = now - self._at, now
        self._left = min(self._burst_s, self._left + passed * self._share)
        return self._left > 0

    def spend(self, seconds: float) -> None:
        self._left -= seconds
