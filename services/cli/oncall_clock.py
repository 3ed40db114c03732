"""Instants on the command line: `--at`/`--from` values in, wall-clock readings and lengths out."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


def parse_instant(text: str) -> datetime:
    """An ISO-8601 instant in UTC: with an offset (`+02:00`, `Z`) as written, naive as UTC."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is not an ISO-8601 time such as 2026-03-29T09:00+02:00"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # year 1 east of UTC, year 9999 west of it
        raise ValueError(f"{text!r} is out of the calendar's range in UTC") from None


# Years `--at`/`--from` may name: schedules, shifts and escalation timelines are computed
# from them forwards and back by days to years, which near the calendar's ends overflows.
PLANNED_YEARS = range(1900, 9001)


def instant_arg(text: str) -> datetime:
    """`parse_instant` as an argparse `type=`, so bad values get a usage error; only within
    `PLANNED_YEARS`."""
    try:
        at = parse_instant(text)
    except ValueError as invalid:
        raise argparse.ArgumentTypeError(str(invalid)) from None
    if at.year not in PLANNED_YEARS:
        first, last = PLANNED_YEARS[0], PLANNED_YEARS[-1]
        raise argparse.ArgumentTypeError(
            f"{text!r} is outside the years {first} to {last} schedules are computed for"
        )
    return at


def in_zone(at: datetime, zone: ZoneInfo | str) -> str:
    """`at` as read in `zone`, with the abbreviation: '2026-03-29 03:00 CEST'."""
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    local = at.astimezone(tz)
    seconds = ":%S" if local.second else ""  # microseconds never matter to a reader
    return local.strftime(f"%Y-%m-%d %H:%M{seconds} %Z")


def in_utc(at: datetime) -> str:
    return in_zone(at, "UTC")


def length(delta: timedelta) -> str:
    """A duration for people: '23h', '25h', '30h30m' under two days, then '6d23h', '7d'."""
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86_400) if seconds >= 2 * 86_400 else (0, seconds)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")]
    return "".join(f"{value}{unit}" for value, unit in parts if value) or "0s"


def table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]], indent: str = "") -> list[str]:
    """Left-aligned columns, two spaces apart, trailing spaces trimmed."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return [
        (
            indent + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        ).rstrip()
        for row in [header, *rows]
    ]
