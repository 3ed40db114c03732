"""How busy the event loop's thread has been lately: its CPU time over wall time.

The read model folds its backlog when the thread has time to spare, so that under a burst of
alerts its work does not stand between an alert and its page. Measured over short windows,
so a burst is noticed within a fraction of a second and its end as quickly.
"""

from __future__ import annotations

import time
from collections.abc import Callable

Seconds = Callable[[], float]


class ThreadLoad:
    """Call `busy()` from the thread to measure (the event loop's)."""

    def __init__(
        self,
        threshold: float = 0.5,
        window_s: float = 0.2,
        wall: Seconds = time.monotonic,
        cpu: Seconds = time.thread_time,
    ) -> None:
        self._threshold = threshold
        self._window_s = window_s
        self._wall, self._cpu = wall, cpu
        self._since, self._cpu_since = wall(), cpu()
        self._share = 0.0  # of one core, in the last complete window

    def busy(self) -> bool:
        """Whether the thread used more than `threshold` of a core in the last window."""
        now = self._wall()
        elapsed = now - self._since
        if elapsed >= self._window_s:
            used = self._cpu()
            self._share = (used - self._cpu_since) / elapsed
            self._since, self._cpu_since = now, used
        return self._share > self._threshold
