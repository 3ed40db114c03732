"""Prometheus-style durations (`30s`, `1h30m`, `2d`, `500ms`) as config values."""

from __future__ import annotations

import re
from datetime import timedelta

_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_PART = re.compile(r"(\d+)(ms|s|m|h|d|w)")


def parse_duration(value: object) -> object:
    """Turn `1h30m` into a timedelta; leave other values for pydantic to judge."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text == "0":
        return timedelta(0)
    if not text or _PART.sub("", text):
        raise ValueError(f"'{value}' is not a duration like 30s, 5m, 1h30m")
    millis = sum(int(n) * _UNIT_MS[unit] for n, unit in _PART.findall(text))
    try:
        return timedelta(milliseconds=millis)
    except OverflowError:
        raise ValueError(f"'{value}': duration too long (at most 999999999d)") from None
