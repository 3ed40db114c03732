"""`tocsin oncall`'s text: who is on call at an instant, then the next shifts as a table."""

from __future__ import annotations

from datetime import datetime

from services.cli.oncall_clock import in_utc, in_zone, length, table
from services.router.domain.schedules import Schedule, Shift, on_call_at, shifts

NOBODY = "(nobody)"


def oncall_lines(schedule: Schedule, at: datetime, count: int) -> list[str]:
    """Who is on call on `schedule` at `at` and why, and the `count` shifts from `at` on.

    Times are wall-clock readings in the schedule's zone, with the zone's abbreviation, so a
    shift across a DST change shows both offsets and its true length (e.g. 6d23h).
    """
    answer = on_call_at(schedule, at)
    lines = [
        f"Schedule {schedule.name} ({schedule.time_zone})",
        f"On call at {in_zone(at, schedule.zone)} ({in_utc(at)}): {answer.user or NOBODY}",
        f"  why: {answer.reason}",
    ]
    if count <= 0:
        return lines
    # One more than asked for: fewer back means the walk stopped at its horizon, not a handoff.
    upcoming = shifts(schedule, at, count + 1)
    endless = len(upcoming) <= count and bool(upcoming) and _goes_on(schedule, upcoming[-1])
    upcoming = upcoming[:count]
    plural = "" if len(upcoming) == 1 else "s"
    lines += ["", f"Next {len(upcoming)} shift{plural} (times in {schedule.time_zone}):"]
    lines += shift_table(upcoming, schedule)
    if endless:
        until = in_zone(upcoming[-1].ends_at, schedule.zone)
        lines.append(f"  (no handoff found up to {until}: the last shift goes on past it)")
    return lines


def shift_table(upcoming: list[Shift], schedule: Schedule) -> list[str]:
    rows = [
        (
            in_zone(shift.starts_at, schedule.zone),
            in_zone(shift.ends_at, schedule.zone),
            length(shift.ends_at - shift.starts_at),
            shift.user or NOBODY,
            shift.source or "-",
        )
        for shift in upcoming
    ]
    return table(("FROM", "UNTIL", "LENGTH", "ON CALL", "SOURCE"), rows, indent="  ")


def _goes_on(schedule: Schedule, last: Shift) -> bool:
    """Whether the walk's last shift, cut at its horizon, still runs there: a handoff exactly at
    the horizon ends it (the walk stops just short of seeing it)."""
    after = on_call_at(schedule, last.ends_at)
    return (after.user, after.source) == (last.user, last.source)
