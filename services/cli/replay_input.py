"""The export format read back: JSON lines of received payloads, in received_at order.

Each line is `{"received_at": ISO-8601, "source": "<integration type>", "payload": <body>}`
(`tocsin export` adds `"integration": "<name>"`, and `"request": {"action", "identifier",
"identifier_type"}` on the lines of Opsgenie closes and acknowledgements, which name their
alert only in the URL). The file is indexed first (offset and
received_at of every line, parsed cheaply), then read in received_at order; lines with equal
times keep their file order. Only the index stays in memory, never the payloads.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from shared.events.inputs import RequestParameters

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# The instants a UTC datetime can hold (a time at year 1 east of UTC is before them).
_FIRST_MICROS = (datetime.min.replace(tzinfo=UTC) - _EPOCH) // _MICROSECOND
_LAST_MICROS = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // _MICROSECOND
_FAST_PREFIX = b'{"received_at":"'


class ReplayInputError(ValueError):
    """A line of the input cannot be read; the message names the line."""


@dataclass(frozen=True, slots=True)
class ReceivedPayload:
    """One posted body, as the export wrote it. `position` is its rank in received_at order;
    `request`: the request's parameters the line kept (`RequestParameters`), if any."""

    position: int
    received_at: datetime
    source: str
    integration: str | None
    body: Any
    request: RequestParameters | None = None


def parse_time(text: object, where: str) -> datetime:
    """An ISO-8601 time with a zone (`Z` allowed), as UTC."""
    if not isinstance(text, str):
        raise ReplayInputError(f"{where}: received_at must be an ISO-8601 string")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ReplayInputError(f"{where}: received_at {text!r} is not ISO-8601") from None
    if parsed.tzinfo is None:
        raise ReplayInputError(f"{where}: received_at {text!r} has no time zone")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ReplayInputError(f"{where}: received_at {text!r} is out of range in UTC") from None


def _micros(at: datetime) -> int:
    return (at - _EPOCH) // _MICROSECOND


def _line_time(raw: bytes, where: str) -> datetime:
    """received_at of a line; without parsing the payload when the line starts with it."""
    if raw.startswith(_FAST_PREFIX):
        end = raw.find(b'"', len(_FAST_PREFIX))
        if end > 0:
            try:
                text = raw[len(_FAST_PREFIX) : end].decode()
            except UnicodeDecodeError:
                raise ReplayInputError(f"{where}: received_at is not UTF-8") from None
            return parse_time(text, where)
    return parse_time(_object(raw, where).get("received_at"), where)


def _object(raw: bytes, where: str) -> dict[str, Any]:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as broken:
        raise ReplayInputError(f"{where}: not JSON: {broken}") from None
    if not isinstance(value, dict):
        raise ReplayInputError(f"{where}: must be a JSON object")
    return value


_BOM = b"\xef\xbb\xbf"


class OrderedInput:
    """An index over a JSON-lines file; iterating yields its payloads in received_at order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offsets = array("q")
        self._lengths = array("q")
        self._lines = array("q")  # 1-based line numbers, for messages
        self._order: list[int] | None = None
        self._last_micros: int | None = None
        self._index()

    def __len__(self) -> int:
        return len(self._offsets)

    def _index(self) -> None:
        times = array("q")
        offset = 0
        with self.path.open("rb") as source:
            for number, raw in enumerate(source, start=1):
                # A byte order mark, as some Windows tools start a UTF-8 file: not the line's.
                skipped = len(_BOM) if number == 1 and raw.startswith(_BOM) else 0
                stripped = raw[skipped:].strip()
                if stripped:
                    self._offsets.append(offset + skipped + raw[skipped:].index(stripped[:1]))
                    self._lengths.append(len(stripped))
                    self._lines.append(number)
                    times.append(self._line_micros(stripped, number))
                offset += len(raw)
        if any(times[i] > times[i + 1] for i in range(len(times) - 1)):
            self._order = sorted(range(len(times)), key=times.__getitem__)
        self._last_micros = max(times) if times else None

    @property
    def last_received_at(self) -> datetime | None:
        """When the input's last payload was received; None for an empty input."""
        if self._last_micros is None:
            return None
        return _EPOCH + self._last_micros * _MICROSECOND

    def _line_micros(self, raw: bytes, number: int) -> int:
        """`_micros(_line_time(...))` without naming the line unless it is wrong: an aware
        time's instant needs no conversion to UTC first."""
        end = raw.find(b'"', len(_FAST_PREFIX)) if raw.startswith(_FAST_PREFIX) else -1
        if end > 0:
            try:
                at = datetime.fromisoformat(raw[len(_FAST_PREFIX) : end].decode())
            except ValueError:  # a UnicodeDecodeError too: the slow path words the problem
                pass
            else:
                if at.tzinfo is not None:
                    micros = (at - _EPOCH) // _MICROSECOND
                    if _FIRST_MICROS <= micros <= _LAST_MICROS:  # else the slow path says so
                        return micros
        return _micros(_line_time(raw, f"{self.path}:{number}"))

    def __iter__(self) -> Iterator[ReceivedPayload]:
        for position, raw, where in self.raw_lines():
            yield parse_payload(position, raw, where)

    def raw_lines(self) -> Iterator[tuple[int, bytes, str]]:
        """(position, the line's bytes, file:line) in received_at order, unparsed."""
        if not self._offsets:
            return
        entries = self.entries()
        with LineReader(self.path) as reader:
            while batch := list(islice(entries, 1024)):
                for entry, raw in zip(batch, reader.lines(batch), strict=True):
                    yield entry[0], raw, self.where(entry)

    def entries(self) -> Iterator[LineEntry]:
        """Where each line is, in received_at order: (position, offset, length, line number)."""
        order = self._order if self._order is not None else range(len(self._offsets))
        for position, index in enumerate(order):
            yield position, self._offsets[index], self._lengths[index], self._lines[index]

    def where(self, entry: LineEntry) -> str:
        return f"{self.path}:{entry[3]}"

    def where_at(self, position: int) -> str:
        """`file:line` of the payload at this position in received_at order."""
        index = self._order[position] if self._order is not None else position
        return f"{self.path}:{self._lines[index]}"


# (position in received_at order, byte offset, length, 1-based line number)
LineEntry = tuple[int, int, int, int]


class LineReader:
    """Reads lines of a file by offset, a batch at a time: one read spans a batch's lines when
    they lie close together, as lines in received_at order mostly do. Read, not mapped: the
    pages of a mapped file count toward the process's resident memory as they are read (a
    whole export's size by the end)."""

    SPAN = 8 << 20  # bytes: a batch spread wider is read line by line

    def __init__(self, path: Path) -> None:
        self._file = path.open("rb")
        self._fd = self._file.fileno()

    def line(self, entry: LineEntry) -> bytes:
        return os.pread(self._fd, entry[2], entry[1])

    def lines(self, entries: list[LineEntry]) -> list[bytes]:
        if not entries:
            return []
        start = min(entry[1] for entry in entries)
        end = max(entry[1] + entry[2] for entry in entries)
        if end - start > self.SPAN:
            return [self.line(entry) for entry in entries]
        span = os.pread(self._fd, end - start, start)
        return [span[entry[1] - start : entry[1] - start + entry[2]] for entry in entries]

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> LineReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def parse_payload(position: int, raw: bytes, where: str) -> ReceivedPayload:
    """One line of the export format."""
    line = _object(raw, where)
    source = line.get("source")
    integration = line.get("integration")
    if not isinstance(source, str) or "payload" not in line:
        raise ReplayInputError(f"{where}: needs a string source and a payload")
    return ReceivedPayload(
        position=position,
        received_at=parse_time(line.get("received_at"), where),
        source=source,
        integration=integration if isinstance(integration, str) else None,
        body=line["payload"],
        request=_request(line.get("request"), where),
    )


def _request(value: Any, where: str) -> RequestParameters | None:
    if value is None:
        return None
    try:
        return RequestParameters.model_validate(value)
    except ValidationError as wrong:
        problem = wrong.errors()[0]
        field = ".".join(("request", *(str(part) for part in problem["loc"])))
        raise ReplayInputError(f"{where}: {field}: {problem['msg']}") from None
