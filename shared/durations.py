"""Prometheus-style durations (`30s`, `1h30m`, `2d`, `500ms`) as config values.

Read as Prometheus reads them (`model.ParseDuration`): each unit at most once, from the largest
to the smallest (`1h30m`, not `30m1h` nor `1m1m`), `y` being 365 days, and `0` alone allowed.
"""

from __future__ import annotations

import re
from datetime import timedelta

_UNIT_MS = {
    "y": 31_536_000_000,
    "w": 604_800_000,
    "d": 86_400_000,
    "h": 3_600_000,
    "m": 60_000,
    "s": 1000,
    "ms": 1,
}
_DURATION = re.compile("".join(rf"(?:(?P<{unit}>[0-9]+){unit})?" for unit in _UNIT_MS))


def parse_duration(value: object) -> object:
    """Turn `1h30m` into a timedelta; leave other values for pydantic to judge."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text == "0":
        return timedelta(0)
    parts = _DURATION.fullmatch(text)
    if not text or parts is None:
        raise ValueError(f"'{value}' is not a duration like 30s, 5m, 1h30m")
    millis = sum(int(n) * _UNIT_MS[unit] for unit, n in parts.groupdict().items() if n)
    try:
        return timedelta(milliseconds=millis)
    except OverflowError:
        raise ValueError(f"'{value}': duration too long (at most 999999999d)") from None
