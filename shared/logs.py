"""Structured logging: one JSON object per line, context passed as `extra` fields; a line
repeated word for word within `REPEAT_WINDOW_S` is written once (see `RepeatedLines`)."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

import orjson

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
REPEAT_WINDOW_S = 10.0
# Lines remembered at most: past it, those whose window ended are forgotten.
_REMEMBERED = 1_000


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class RepeatedLines(logging.Filter):
    """Writes a line at most once per window: while the Kafka broker is down, aiokafka logs
    each failed connection and fetch, hundreds of lines a second (2.9 MB a minute from one
    router), and each refused request would log its own. A line is its logger, level,
    message and context fields; the next one written after its window says how many were
    left out (`repeated`)."""

    def __init__(
        self, window_s: float = REPEAT_WINDOW_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self._window_s = window_s
        self._clock = clock
        self._lines: dict[tuple[object, ...], tuple[float, int]] = {}  # -> (written at, left out)

    def filter(self, record: logging.LogRecord) -> bool:
        context = sorted((k, repr(v)) for k, v in record.__dict__.items() if k not in _STANDARD)
        line = (record.name, record.levelno, record.getMessage(), tuple(context))
        now = self._clock()
        written = self._lines.get(line)
        if written is not None and now - written[0] < self._window_s:
            self._lines[line] = (written[0], written[1] + 1)
            return False
        if written is not None and written[1]:
            record.repeated = written[1]
        self._lines[line] = (now, 0)
        if len(self._lines) > _REMEMBERED:
            self._forget(now)
        return True

    def _forget(self, now: float) -> None:
        # Threads log too (the embedded log's writer): another may have forgotten it already.
        for line, (at, _) in list(self._lines.items()):
            if now - at >= self._window_s:
                self._lines.pop(line, None)


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RepeatedLines())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
