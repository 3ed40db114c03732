"""Times in the API's queries and bodies: RFC 3339 date-times with an offset, nothing else;
durations as `30s`, `15m`, `1h30m`, `2d` or a number of seconds."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated

from pydantic import AwareDatetime, BeforeValidator, TypeAdapter, ValidationError

from shared.durations import parse_duration

_DATE_TIME_START = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]")
# `+01:00` in a query string that was not URL-encoded: the `+` arrives as a space.
_UNENCODED_PLUS = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\S+ \d{2}:?\d{2}")


def _date_time_text(value: object) -> object:
    """The documented format only: pydantic would also read `44754` as a Unix time."""
    if isinstance(value, str) and not _DATE_TIME_START.match(value):
        raise ValueError("expected an RFC 3339 date-time such as 2026-11-27T06:50:00Z")
    if not isinstance(value, str):
        raise ValueError("expected an RFC 3339 date-time as a string")
    if _UNENCODED_PLUS.fullmatch(value):
        raise ValueError(
            f"'{value}' has a space before its offset: write the '+' of a query's offset"
            " as %2B (or use Z)"
        )
    return _rounded_up(value)


def _rounded_up(value: str) -> object:
    """Times are kept to the microsecond: a finer one is rounded up, not down (pydantic cuts
    it), so that "at or after" and "before" it hold for the same instants as for the exact
    value (`since=…58.9448585Z` listed an incident opened at …58.944858)."""
    finer = _BEYOND_MICROSECONDS.search(value)
    if finer is None:
        return value
    cut = value[: finer.start(2)] + value[finer.end(2) :]
    try:
        parsed = _AWARE.validate_python(cut)
    except ValidationError:
        return value  # not a time: refused as pydantic words it
    return parsed + timedelta(microseconds=1) if finer.group(2).strip("0") else parsed


# The fraction of seconds: its first six digits, and any beyond.
_BEYOND_MICROSECONDS = re.compile(r"(?<=:\d{2}\.)(\d{6})(\d+)")
_AWARE: TypeAdapter[datetime] = TypeAdapter(AwareDatetime)
DateTimeText = Annotated[AwareDatetime, BeforeValidator(_date_time_text)]


def duration_value(value: object) -> object:
    """A duration as the API takes it; `true` is not one second, as pydantic would read it."""
    if isinstance(value, bool):
        raise ValueError('expected a duration such as "30m", or a number of seconds')
    return parse_duration(value)
