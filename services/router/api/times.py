"""Times in the API's queries and bodies: RFC 3339 date-times with an offset, nothing else;
durations as `30s`, `15m`, `1h30m`, `2d` or a number of seconds."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AwareDatetime, BeforeValidator

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
    return value


DateTimeText = Annotated[AwareDatetime, BeforeValidator(_date_time_text)]


def duration_value(value: object) -> object:
    """A duration as the API takes it; `true` is not one second, as pydantic would read it."""
    if isinstance(value, bool):
        raise ValueError('expected a duration such as "30m", or a number of seconds')
    return parse_duration(value)
