"""Validation errors, and the JSON readers that report them.

Normalizers never stop at the first problem: every reader records what is wrong with the field
it was asked for (with a JSON path such as `alerts[3].labels.severity`) and returns None, so one
request yields all its errors at once. A request is valid whole or rejected whole. A JSON null
counts as an absent field. Bodies are first scanned for unpaired surrogates (JSON escapes like
"\\ud800"), which nothing downstream could encode or hash.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from itertools import repeat
from typing import Any, NamedTuple

import orjson

MAX_ERRORS = 50
ROOT = "$"
_MAX_KEY_IN_PATH = 64
_MAX_CACHED_PARENT = 256
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
# Lone surrogates (from JSON escapes such as "\ud800") cannot be encoded, hashed or sent on.
_SURROGATE = re.compile("[\ud800-\udfff]")
# RFC 3339 date-time; also the `+0000` offset PagerDuty documents. Fractions beyond
# microseconds are truncated (Go sends 9 digits).
_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{1,32}))?(?:([Zz])|([+-])([0-9]{2}):?([0-9]{2}))",
    re.ASCII,
)
# Longest text `_TIMESTAMP` matches: date, T, time, 32 fraction digits, `+hh:mm`.
_MAX_TIMESTAMP_LENGTH = 10 + 1 + 8 + 33 + 6
# Go's zero time: Alertmanager and Grafana send it as the end of a firing alert.
GO_ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)
# How far after the receive time an alert may say it started. Senders stamp starts with their
# own clock (an Alertmanager webhook carries the Prometheus server's), so some skew is honest:
# NTP keeps hosts within a second, an unsynced one drifts by minutes. An hour takes all that,
# and a clock off by an unapplied DST change or a half-hour zone; beyond it the time is wrong
# (local time sent as UTC, a made-up year), and as evidence it would sit hours past every
# correlation window (5 min by default). Refused, not clamped: only the sender can fix it.
MAX_CLOCK_SKEW = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field of a request."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InvalidPayload(Exception):
    """The request cannot be normalized; `errors` says why (at most `MAX_ERRORS` of them)."""

    def __init__(self, errors: list[FieldError], omitted: int = 0) -> None:
        self.errors = errors
        self.omitted = omitted
        super().__init__("; ".join(str(error) for error in errors))


def field_path(parent: str, key: str | int) -> str:
    """`alerts` + 3 -> `alerts[3]`; `alerts[3]` + `labels` -> `alerts[3].labels`.

    Keys that are not identifiers are quoted (`labels["bad-name"]`), long ones cut at 64
    characters, unpaired surrogates written as `\\udxxx` so that the path itself always encodes.
    """
    # Paths of valid bodies repeat (`[3].labels`): remembered, if short, so that what a cache
    # holds stays small whatever keys a sender makes up.
    if len(parent) <= _MAX_CACHED_PARENT and (isinstance(key, int) or len(key) <= _MAX_KEY_IN_PATH):
        return _cached_path(parent, key)
    return _path(parent, key)


@functools.lru_cache(maxsize=4096, typed=True)
def _cached_path(parent: str, key: str | int) -> str:
    return _path(parent, key)


def _path(parent: str, key: str | int) -> str:
    prefix = "" if parent == ROOT else parent
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    if len(key) > _MAX_KEY_IN_PATH:
        key = key[:_MAX_KEY_IN_PATH] + "..."
    if _IDENTIFIER.fullmatch(key):
        return f"{prefix}.{key}" if prefix else key
    quoted = '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
    quoted = _SURROGATE.sub(lambda match: f"\\u{ord(match[0]):04x}", quoted)
    return f"{prefix}[{quoted}]"


class Problems:
    """Collects field errors of one request; `raise_if_any` turns them into `InvalidPayload`."""

    def __init__(self, limit: int = MAX_ERRORS) -> None:
        self._errors: list[FieldError] = []
        self._limit = limit
        self._omitted = 0

    def add(self, field: str, message: str) -> None:
        if len(self._errors) < self._limit:
            self._errors.append(FieldError(field, message))
        else:
            self._omitted += 1

    def __iter__(self) -> Iterator[FieldError]:
        return iter(self._errors)

    def raise_if_any(self) -> None:
        if self._errors:
            raise InvalidPayload(list(self._errors), self._omitted)

    def body_object(self, body: Any) -> dict[str, Any]:
        """The request body as an object of valid text; anything else rejects it at once."""
        self.check_text(body)
        obj = self.object(body, ROOT)
        if obj is None or self._errors:
            raise InvalidPayload(list(self._errors), self._omitted)
        return obj

    def check_text(self, value: Any, path: str = ROOT) -> None:
        """Report every string and key holding an unpaired surrogate, in document order.

        Walks with an explicit stack, so deeply nested bodies cannot exhaust the recursion limit.
        """
        if encodes(value):
            return  # the common case, checked in C: the walk below builds a path per node
        pending: list[tuple[str, Any, str | None]] = [(path, value, None)]
        while pending:
            at, node, key = pending.pop()
            if key is not None and _SURROGATE.search(key):
                self.add(at, "name must not contain unpaired surrogates")
            if isinstance(node, str) and _SURROGATE.search(node):
                self.add(at, "must not contain unpaired surrogates")
            elif isinstance(node, dict):
                for name, item in reversed(node.items()):
                    pending.append((field_path(at, str(name)), item, str(name)))
            elif isinstance(node, list):
                for index in reversed(range(len(node))):
                    pending.append((field_path(at, index), node[index], None))

    def object(self, value: Any, path: str) -> dict[str, Any] | None:
        """`value` as a JSON object, else None (and an error)."""
        if isinstance(value, dict) and all(map(isinstance, value, repeat(str))):
            return value
        self.add(path, "must be an object")
        return None

    def array(self, value: Any, path: str, max_items: int) -> list[Any] | None:
        if not isinstance(value, list):
            self.add(path, "must be an array")
            return None
        if len(value) > max_items:
            self.add(path, f"must have at most {max_items} items")
            return None
        return value

    def text(
        self,
        obj: dict[str, Any],
        key: str,
        path: str,
        *,
        required: bool = False,
        max_length: int | None = None,
    ) -> str | None:
        """A string field; null counts as absent. Required strings must not be blank."""
        value = obj.get(key)
        if value is None:
            if required:
                self.add(field_path(path, key), "is required")
            return None
        # Paths are built only for errors: a valid body never needs one.
        if not isinstance(value, str):
            self.add(field_path(path, key), "must be a string")
            return None
        if required and not value.strip():
            self.add(field_path(path, key), "must not be blank")
            return None
        if max_length is not None and len(value) > max_length:
            self.add(field_path(path, key), f"must be at most {max_length} characters")
            return None
        return value

    def choice(
        self, obj: dict[str, Any], key: str, path: str, options: tuple[str, ...], *, required: bool
    ) -> str | None:
        """A string field that must be one of `options` (case-sensitive)."""
        value = self.text(obj, key, path, required=required)
        if value is not None and value not in options:
            self.add(field_path(path, key), "must be one of: " + ", ".join(options))
            return None
        return value

    def timestamp(self, obj: dict[str, Any], key: str, path: str) -> datetime | None:
        """An optional RFC 3339 time, in UTC; Go's zero time counts as absent."""
        raw = self.text(obj, key, path)
        if raw is None:
            return None
        parsed = parse_timestamp(raw)
        if parsed is None:
            self.add(field_path(path, key), "must be an RFC 3339 timestamp with a time zone")
            return None
        return None if parsed == GO_ZERO_TIME else parsed


class StartBounds(NamedTuple):
    """The latest start an alert received at one time may have (see `start_bounds`)."""

    with_end: datetime
    without_end: datetime
    resolve_timeout: timedelta | None  # set if it, not the skew, bounds starts without an end


def start_bounds(received_at: datetime, resolve_timeout: timedelta | None) -> StartBounds:
    """Starts up to `MAX_CLOCK_SKEW` after `received_at`; without an end, when the integration
    has a `resolve_timeout`, up to `received_at + resolve_timeout`: that is the end the alert
    is given, and Alertmanager refuses such an alert too (its end would precede its start)."""
    latest = received_at + MAX_CLOCK_SKEW
    if resolve_timeout is None or resolve_timeout >= MAX_CLOCK_SKEW:
        return StartBounds(latest, latest, None)
    return StartBounds(latest, received_at + resolve_timeout, resolve_timeout)


def encodes(value: Any) -> bool:
    """True if orjson can write `value`, which proves it holds no unpaired surrogate (orjson
    refuses them in strings and keys). False says nothing: the caller walks the value."""
    try:
        orjson.dumps(value)
    except orjson.JSONEncodeError:
        return False
    return True


def parse_timestamp(raw: str) -> datetime | None:
    """RFC 3339 (and `+hhmm` offsets) to an aware UTC datetime; None if malformed."""
    # Senders repeat times (an alert's `startsAt` in every notification): remembered, if no
    # longer than a valid time can be, so a cache entry stays small.
    if len(raw) <= _MAX_TIMESTAMP_LENGTH:
        return _cached_timestamp(raw)
    return _parse_timestamp(raw)


@functools.lru_cache(maxsize=4096)
def _cached_timestamp(raw: str) -> datetime | None:  # datetimes are immutable: safe to share
    return _parse_timestamp(raw)


def _parse_timestamp(raw: str) -> datetime | None:
    match = _TIMESTAMP.fullmatch(raw)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    try:
        offset = timedelta(0)
        if not zulu:
            offset = timedelta(hours=int(off_h), minutes=int(off_m))
            offset = -offset if sign == "-" else offset
        micros = int((fraction or "").ljust(6, "0")[:6])
        date = (int(year), int(month), int(day))
        clock = (int(hour), int(minute), int(second), micros)
        return datetime(*date, *clock, tzinfo=timezone(offset)).astimezone(UTC)
    except (ValueError, OverflowError):  # e.g. month 13, offset >= 24h, year 1 at +01:00
        return None


def compact_json(value: Any, *, ascii_only: bool = False) -> str | None:
    """Stable compact JSON text of a parsed JSON value; None if it is nested too deeply.

    `ascii_only` escapes everything beyond ASCII: the form to hash, as it always encodes.
    """
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=ascii_only)
    except RecursionError:
        return None
