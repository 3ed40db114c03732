"""A progress bar on stderr for long replays: only on a terminal, or when asked for."""

from __future__ import annotations

import time
from typing import TextIO

_WIDTH = 30
_EVERY_S = 0.2


class ProgressBar:
    """Call with each payload's position; redraws at most five times a second."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self._total = max(total, 1)
        self._stream = stream
        self._started = time.monotonic()
        self._drawn = 0.0

    def __call__(self, position: int) -> None:
        now = time.monotonic()
        if now - self._drawn < _EVERY_S and position + 1 < self._total:
            return
        self._drawn = now
        done = position + 1
        filled = _WIDTH * done // self._total
        rate = done / max(now - self._started, 1e-9)
        self._stream.write(
            f"\r[{'#' * filled}{'.' * (_WIDTH - filled)}] {done / self._total:6.1%}"
            f"  {done:,}/{self._total:,} payloads  {rate:,.0f}/s"
        )
        self._stream.flush()

    def close(self) -> None:
        self._stream.write("\n")
        self._stream.flush()


def wants_progress(forced: bool, stream: TextIO) -> bool:
    return forced or stream.isatty()
