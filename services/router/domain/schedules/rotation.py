"""One layer on its own: whose shift it is at an instant, and the instants where that can change.

Shift `k` of a layer begins at `handoff_at(layer, zone, k)`; its user is `users[k % len(users)]`.
Shift 0 begins at the layer's `start`. Daily and weekly layers then hand off on a wall-clock grid:
`handoff` time on `start`'s date plus every 1 or 7 local days, beginning with the first grid point
after `start` (so a `handoff_time` other than start's time makes shift 0 shorter or longer).
Custom layers hand off every `shift_length` of wall-clock time after `start`: a 12h rotation
from 08:00 hands off at 08:00 and 20:00 local on both sides of a DST change (one shift then lasts
11h or 13h), as teams that follow the sun mean it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import count
from typing import Final
from zoneinfo import ZoneInfo

from services.router.domain.schedules.model import WEEKDAYS, Layer, Restriction
from services.router.domain.schedules.wallclock import describe, to_instant, to_wall

_PERIOD_DAYS: Final[dict[str, int]] = {"daily": 1, "weekly": 7}
_ONE_DAY: Final = timedelta(days=1)
# How far back a DST gap is looked for: a day and an hour (Pacific/Apia skipped 2011-12-30).
_LONGEST_GAP: Final = timedelta(hours=25)


@dataclass(frozen=True, slots=True)
class Coverage:
    """What one layer says about one instant."""

    user: str | None  # None: the layer does not cover the instant
    note: str  # why, for people: when the shift began, or why the layer is silent


def handoff_at(layer: Layer, zone: ZoneInfo, k: int) -> datetime:
    """The UTC instant at which shift `k` (0-based) of `layer` begins."""
    first = to_instant(layer.start, zone)
    if k == 0:
        return first
    if layer.shift_length is not None:  # rotation: custom
        return _custom_handoff(layer.start, layer.shift_length, zone, k)
    return to_instant(_grid(layer, _first_grid_step(layer, zone) + k - 1), zone)


def shift_index(layer: Layer, zone: ZoneInfo, at: datetime) -> int | None:
    """The shift of `layer` running at `at`, or None before the layer starts."""
    first = to_instant(layer.start, zone)
    if at < first:
        return None
    # Guess from the wall clock, then step to the last handoff <= at; handoffs never go backwards.
    if layer.shift_length is not None:
        k = max(0, (to_wall(at, zone) - layer.start) // layer.shift_length)
    else:
        elapsed_days = (to_wall(at, zone).date() - layer.start.date()).days
        k = max(0, elapsed_days // _PERIOD_DAYS[layer.rotation])
    while k > 0 and handoff_at(layer, zone, k) > at:
        k -= 1
    while handoff_at(layer, zone, k + 1) <= at:
        k += 1
    return k


def coverage_at(layer: Layer, zone: ZoneInfo, at: datetime) -> Coverage:
    """Who `layer` puts on call at `at`, if it covers that instant at all."""
    k = shift_index(layer, zone, at)
    if k is None:
        return Coverage(None, f"{layer.name!r} starts {describe(handoff_at(layer, zone, 0), zone)}")
    if layer.restrictions and not any(
        opens <= at < closes for opens, closes in _windows_near(layer, zone, at, at)
    ):
        return Coverage(None, f"{layer.name!r} is outside its restrictions")
    since = describe(handoff_at(layer, zone, k), zone)
    return Coverage(layer.users[k % len(layer.users)], f"shift since {since}")


def layer_changes(
    layer: Layer, zone: ZoneInfo, start: datetime, end: datetime
) -> Iterator[datetime]:
    """Instants strictly inside (start, end) where `layer`'s answer may change.

    A handoff from a user to the same user changes nothing and is left out: walking the
    handoffs of a one-person rotation of minutes over a year took `tocsin oncall --next` a minute.
    """
    k = shift_index(layer, zone, start)
    next_k = 0 if k is None else k + 1
    if next_k == 0:
        if start < (first := handoff_at(layer, zone, 0)) < end:
            yield first
        next_k = 1
    users = layer.users
    rotates = len(set(users)) > 1
    while rotates and (handoff := handoff_at(layer, zone, next_k)) < end:
        if handoff > start and users[next_k % len(users)] != users[(next_k - 1) % len(users)]:
            yield handoff
        next_k += 1
    for opens, closes in _windows_near(layer, zone, start, end):
        yield from (edge for edge in (opens, closes) if start < edge < end)


def restriction_windows(
    restriction: Restriction, zone: ZoneInfo, first_day: date, last_day: date
) -> Iterator[tuple[datetime, datetime]]:
    """The windows of `restriction` opening on local days `first_day`..`last_day`, in UTC.

    A window squeezed to nothing by a DST gap (see `to_instant`) is left out.
    """
    crosses_midnight = restriction.end <= restriction.start
    day = first_day
    while day <= last_day:
        if WEEKDAYS[day.weekday()] in restriction.weekdays:
            end_day = day + _ONE_DAY if crosses_midnight else day
            opens = to_instant(datetime.combine(day, restriction.start), zone)
            closes = to_instant(datetime.combine(end_day, restriction.end), zone)
            if opens < closes:
                yield opens, closes
        day += _ONE_DAY


def _windows_near(
    layer: Layer, zone: ZoneInfo, start: datetime, end: datetime
) -> Iterator[tuple[datetime, datetime]]:
    # A window spans at most one local midnight, so one day of margin each side catches every
    # window that overlaps [start, end].
    first_day = to_wall(start, zone).date() - _ONE_DAY
    last_day = to_wall(end, zone).date() + _ONE_DAY
    for restriction in layer.restrictions:
        yield from restriction_windows(restriction, zone, first_day, last_day)


def _custom_handoff(start: datetime, length: timedelta, zone: ZoneInfo, k: int) -> datetime:
    """Handoff `k` (>= 1): its reading's instant, or the latest of the earlier ones if later.

    A reading in a DST gap moves forward by the gap (see `to_instant`) and can land after the
    readings just past the gap: every earlier reading less than a gap before this one may have,
    so the latest of them is the handoff (a rotation never goes backwards). Only the previous
    one can where shifts are at least half the gap; shorter shifts look back over the gap.
    """
    reading = start + k * length
    gap = _gap_before(reading, zone)
    back = min(
        k, max(1, -(-gap // length))
    )  # readings within a gap of this one: ceil(gap / length)
    return max(to_instant(reading - j * length, zone) for j in range(back + 1))


def _gap_before(reading: datetime, zone: ZoneInfo) -> timedelta:
    """How far the wall clock jumped forward in the day before `reading` (zero when it did not:
    no change, or one back)."""
    before = (reading - _LONGEST_GAP).replace(tzinfo=zone).utcoffset()
    after = reading.replace(tzinfo=zone).utcoffset()
    if before is None or after is None:
        return timedelta(0)
    return max(after - before, timedelta(0))


def _grid(layer: Layer, step: int) -> datetime:
    days = _PERIOD_DAYS[layer.rotation] * step
    return datetime.combine(layer.start.date() + timedelta(days=days), layer.handoff)


def _first_grid_step(layer: Layer, zone: ZoneInfo) -> int:
    # Compared as instants, not readings, so a start inside a DST gap still gets a non-empty
    # shift 0. Terminates: grid instants grow by at least a day per step.
    first = to_instant(layer.start, zone)
    return next(step for step in count() if to_instant(_grid(layer, step), zone) > first)
