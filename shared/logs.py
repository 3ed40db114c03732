"""Structured logging: one JSON object per line, context passed as `extra` fields; a line
repeated word for word within `REPEAT_WINDOW_S` is written once (see `RepeatedLines`)."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime

import orjson

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
REPEAT_WINDOW_S = 10.0
# Lines followed at most (a few MB): the least recently written go first.
_REMEMBERED = 10_000


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


class TextFormatter(logging.Formatter):
    """A line for people: time, level, logger, message, then the context fields as
    `key=value` (the incident, the actor: what the JSON format carries). Line breaks in the
    message or a value are written `\\n`, so that text from senders cannot start a line that
    reads as a log line of its own; an exception's traceback follows on its own lines."""

    def format(self, record: logging.LogRecord) -> str:
        at = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        line = f"{at} {record.levelname} {record.name}: {_one_line(record.getMessage())}"
        context = [
            f"{key}={_value(value)}"
            for key, value in record.__dict__.items()
            if key not in _STANDARD
        ]
        if context:
            line += " " + " ".join(context)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _one_line(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")


def _value(value: object) -> str:
    text = _one_line(value if isinstance(value, str) else str(value))
    return orjson.dumps(text).decode() if not text or " " in text or '"' in text else text


class RepeatedLines(logging.Filter):
    """Writes a line at most once per window: while the Kafka broker is down, aiokafka logs
    each failed connection and fetch, hundreds of lines a second (2.9 MB a minute from one
    router), and each refused request would log its own. A line is its logger, level,
    message and context fields; the next one written after its window says how many were
    left out (`repeated`). Records with an exception or a stack are always written, and a
    record whose line cannot be told (a message whose arguments do not fit) goes on to the
    handler, which reports it as logging does. The last `_REMEMBERED` lines written are
    followed: one pushed out by that many others since loses its count."""

    def __init__(
        self, window_s: float = REPEAT_WINDOW_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self._window_s = window_s
        self._clock = clock
        # Line -> (written at, left out since), least recently written first.
        self._lines: OrderedDict[tuple[object, ...], tuple[float, int]] = OrderedDict()
        self._lock = threading.Lock()  # threads log too (the embedded log's writer)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info or record.stack_info:
            return True
        try:
            line = _line(record)
        except Exception:  # a filter that raises would raise in the code that logged
            return True
        with self._lock:
            return self._first_in_window(line, record)

    def _first_in_window(self, line: tuple[object, ...], record: logging.LogRecord) -> bool:
        now = self._clock()
        written = self._lines.get(line)
        if written is not None and now - written[0] < self._window_s:
            self._lines[line] = (written[0], written[1] + 1)
            return False
        if written is not None and written[1]:
            record.repeated = written[1]
        self._lines[line] = (now, 0)
        self._lines.move_to_end(line)
        while len(self._lines) > _REMEMBERED:
            self._lines.popitem(last=False)
        return True


def _line(record: logging.LogRecord) -> tuple[object, ...]:
    context = sorted((k, repr(v)) for k, v in record.__dict__.items() if k not in _STANDARD)
    return (record.name, record.levelno, record.getMessage(), tuple(context))


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RepeatedLines())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
