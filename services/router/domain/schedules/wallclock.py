"""Wall-clock readings <-> instants, with one documented rule for DST gaps and folds."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def to_instant(local: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant that the naive wall-clock reading `local` names in `zone`.

    DST gap (the reading never happens, e.g. 02:30 on a spring-forward night in Berlin): it is
    read with the offset in force before the gap, which moves it forward by the gap's length,
    so 02:30 becomes 03:30 CEST. DST fold (the reading happens twice, e.g. 02:30 on a fall-back
    night): the first occurrence, still on summer time, is used. Both are PEP 495's `fold=0`
    reading, so the answer depends on nothing but the arguments.

    One consequence: a reading in a gap can land after a later reading just past the gap
    (02:30 -> 03:30 CEST, but 03:00 -> 03:00 CEST). Callers treat intervals that come out empty or
    inverted this way as empty.
    """
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def to_wall(at: datetime, zone: ZoneInfo) -> datetime:
    """The naive wall-clock reading in `zone` at the instant `at`."""
    return at.astimezone(zone).replace(tzinfo=None)


def to_utc(at: datetime, name: str) -> datetime:
    """`at` in UTC; a naive datetime is a caller bug, since it names no instant."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {at.isoformat()}")
    return at.astimezone(UTC)


def describe(at: datetime, zone: ZoneInfo) -> str:
    """`at` as people in `zone` would read it, e.g. '2026-03-29 09:00 CEST'."""
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
