"""Prometheus duration strings (`30s`, `1h30m`, `2d`, `1w`, `500ms`), as Alertmanager reads them."""

from __future__ import annotations

import re
from datetime import timedelta

# Same grammar as prometheus/common `model.ParseDuration`: units largest first, each at most once,
# integers only, no sign. A year is 365 days there, so it is here.
_DURATION_RE = re.compile(
    r"(?:(?P<y>[0-9]+)y)?(?:(?P<w>[0-9]+)w)?(?:(?P<d>[0-9]+)d)?(?:(?P<h>[0-9]+)h)?"
    r"(?:(?P<m>[0-9]+)m)?(?:(?P<s>[0-9]+)s)?(?:(?P<ms>[0-9]+)ms)?"
)
_UNIT_MS = {
    "y": 365 * 24 * 3600 * 1000,
    "w": 7 * 24 * 3600 * 1000,
    "d": 24 * 3600 * 1000,
    "h": 3600 * 1000,
    "m": 60 * 1000,
    "s": 1000,
    "ms": 1,
}
# Go stores durations as int64 nanoseconds; longer ones are rejected, not wrapped.
_MAX_MS = (2**63 - 1) // 1_000_000


class DurationError(ValueError):
    """A duration string Prometheus would refuse; the message quotes it."""


def parse_duration(text: str) -> timedelta:
    """Parse a Prometheus duration such as `1h30m` into a timedelta."""
    if text == "":
        raise DurationError("empty duration string")
    if text == "0":
        return timedelta(0)
    found = _DURATION_RE.fullmatch(text)
    if found is None:
        raise DurationError(f"not a valid duration string: {text!r} (expected e.g. 30s, 1h30m, 2d)")
    total_ms = sum(_UNIT_MS[unit] * int(n) for unit, n in found.groupdict().items() if n)
    if total_ms > _MAX_MS:
        raise DurationError(f"duration out of range: {text!r}")
    return timedelta(milliseconds=total_ms)
