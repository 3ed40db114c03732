"""Who is on call: at one instant (`on_call_at`), over the next shifts (`shifts`), and where
nobody is (`gaps`).

Precedence: overrides beat every layer (the last listed override wins where two overlap); among
layers the last one that covers the instant wins. A layer covers from its `start` onwards, and
only inside its restriction windows if it has any. All results are in UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Final
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.router.domain.schedules.model import OVERRIDE_SOURCE, Override, Schedule
from services.router.domain.schedules.rotation import coverage_at, layer_changes
from services.router.domain.schedules.wallclock import describe, to_instant, to_utc

# How far `shifts` looks ahead; a schedule that never changes (one user) would otherwise never end.
DEFAULT_HORIZON: Final = timedelta(days=366)
# `shifts` walks forward in steps of this size so it stops soon after it has enough shifts.
_STEP: Final = timedelta(days=7)


class OnCall(BaseModel):
    """The answer for one instant, with what decided it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user: str | None
    source: str | None = Field(description="layer name, 'override', or None if nobody")
    reason: str


class Shift(BaseModel):
    """A stretch of time with the same user from the same source (layer or override)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user: str | None
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    source: str | None = Field(description="layer name, 'override', or None if nobody")


def on_call_at(schedule: Schedule, at: datetime) -> OnCall:
    """Who is on call at the instant `at` (timezone-aware), and why."""
    return _decide(schedule, schedule.zone, to_utc(at, "at"))


def shifts(
    schedule: Schedule, start: datetime, count: int, *, horizon: timedelta = DEFAULT_HORIZON
) -> list[Shift]:
    """The next `count` contiguous shifts from `start`, nobody-on-call stretches included.

    The first shift is clipped to begin at `start`. Adjacent stretches with the same user and
    source are merged, so a single-user rotation is one long shift. The walk stops at
    `start + horizon`: if the schedule stops changing before then, fewer shifts come back and the
    last one ends at the horizon.
    """
    if count < 0:
        raise ValueError(f"count must not be negative, got {count}")
    step_start = to_utc(start, "start")
    limit = step_start + horizon
    merged: list[Shift] = []
    # One shift more than asked for proves the last asked-for one has ended.
    while count > 0 and len(merged) <= count and step_start < limit:
        step_end = min(step_start + _STEP, limit)
        for piece in _pieces(schedule, schedule.zone, step_start, step_end):
            _append(merged, piece)
        step_start = step_end
    return merged[:count]


def gaps(
    schedule: Schedule,
    start: datetime,
    end: datetime,
    *,
    reachable: Callable[[str], bool] = lambda _user: True,
) -> list[tuple[datetime, datetime]]:
    """The intervals within [start, end) in which nobody is on call, as UTC (start, end) pairs.

    A user `reachable` says cannot be paged (e.g. one with no contact method) counts as nobody.
    """
    start, end = to_utc(start, "start"), to_utc(end, "end")
    if end < start:
        raise ValueError("end must not be before start")
    merged: list[Shift] = []
    for piece in _pieces(schedule, schedule.zone, start, end):
        if piece.user is not None and not reachable(piece.user):
            piece = piece.model_copy(update={"user": None, "source": None})
        _append(merged, piece)
    return [(shift.starts_at, shift.ends_at) for shift in merged if shift.user is None]


def _decide(schedule: Schedule, zone: ZoneInfo, at: datetime) -> OnCall:
    for index in reversed(range(len(schedule.overrides))):
        override = schedule.overrides[index]
        if _override_covers(override, zone, at):
            until = describe(to_instant(override.end, zone), zone)
            reason = f"override #{index} for {override.user} until {until}"
            return OnCall(user=override.user, source=OVERRIDE_SOURCE, reason=reason)
    silent: list[str] = []
    for layer in reversed(schedule.layers):
        coverage = coverage_at(layer, zone, at)
        if coverage.user is not None:
            reason = f"last covering layer {layer.name!r}, {coverage.note}"
            return OnCall(user=coverage.user, source=layer.name, reason=reason)
        silent.append(coverage.note)
    return OnCall(user=None, source=None, reason="nobody: " + "; ".join(reversed(silent)))


def _override_covers(override: Override, zone: ZoneInfo, at: datetime) -> bool:
    return to_instant(override.start, zone) <= at < to_instant(override.end, zone)


def _pieces(schedule: Schedule, zone: ZoneInfo, start: datetime, end: datetime) -> Iterator[Shift]:
    """[start, end) cut at every instant where the answer may change; constant within a piece."""
    cuts = sorted({start, end, *_changes(schedule, zone, start, end)})
    for piece_start, piece_end in pairwise(cuts):
        decision = _decide(schedule, zone, piece_start)
        yield Shift(
            user=decision.user, starts_at=piece_start, ends_at=piece_end, source=decision.source
        )


def _changes(
    schedule: Schedule, zone: ZoneInfo, start: datetime, end: datetime
) -> Iterator[datetime]:
    for layer in schedule.layers:
        yield from layer_changes(layer, zone, start, end)
    for override in schedule.overrides:
        for local in (override.start, override.end):
            edge = to_instant(local, zone)
            if start < edge < end:
                yield edge


def _append(merged: list[Shift], piece: Shift) -> None:
    last = merged[-1] if merged else None
    if last is not None and (last.user, last.source) == (piece.user, piece.source):
        merged[-1] = last.model_copy(update={"ends_at": piece.ends_at})
    else:
        merged.append(piece)
