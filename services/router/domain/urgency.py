"""Urgency: high pages at once, low waits for the recipient's working hours. Pure functions.

`urgency_of` picks the urgency of an alert's labels: the first rule whose matchers all hold,
else the default. `page_now_or_when` says when a page of that urgency may reach a person in a
given time zone: high at once; low at once inside working hours, else at the next start of
working hours, read on the recipient's wall clock (so 09:00 stays 09:00 across DST changes).

Working hours are a weekly window like a schedule's restriction: they open at `start` on each
listed weekday and close at `end` (exclusive); an `end` not after `start` closes the next day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, time, timedelta
from typing import Annotated, Final, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict

from services.router.domain.matchers import Matcher, matches_all
from services.router.domain.schedules.model import ClockTime, Restriction, Weekday, WindowEnd
from services.router.domain.schedules.rotation import restriction_windows
from services.router.domain.schedules.wallclock import to_utc, to_wall

Urgency = Literal["high", "low"]
# Working hours recur weekly; two weeks of windows always hold the next opening, even when a
# DST gap swallows one window.
_LOOKAHEAD: Final = timedelta(days=15)
_ONE_DAY: Final = timedelta(days=1)


def _non_empty(value: tuple[object, ...]) -> tuple[object, ...]:
    if not value:
        raise ValueError("must list at least one item")
    return value


class WorkingHours(BaseModel):
    """When low-urgency pages may reach people, on each person's own wall clock."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weekdays: Annotated[tuple[Weekday, ...], AfterValidator(_non_empty)] = (
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
    )
    start: ClockTime = time(9, 0)
    end: WindowEnd = time(18, 0)

    def __str__(self) -> str:
        days = ",".join(self.weekdays)
        return f"{days} {self.start:%H:%M}-{self.end:%H:%M}"


class UrgencyRule(BaseModel):
    """Alerts whose labels satisfy every matcher get `urgency`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    matchers: Annotated[tuple[Matcher, ...], AfterValidator(_non_empty)]
    urgency: Urgency


class UrgencyPolicy(BaseModel):
    """The `urgency:` config section; without it every page is high urgency."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rules: tuple[UrgencyRule, ...] = ()
    default: Urgency = "high"
    working_hours: WorkingHours = WorkingHours()


def deciding_rule(policy: UrgencyPolicy, labels: Mapping[str, str]) -> int | None:
    """The index of the first rule whose matchers all hold on `labels`, or None."""
    return next(
        (index for index, rule in enumerate(policy.rules) if matches_all(rule.matchers, labels)),
        None,
    )


def urgency_of(policy: UrgencyPolicy, labels: Mapping[str, str]) -> Urgency:
    """The urgency of an alert with `labels`: the first matching rule's, else the default."""
    index = deciding_rule(policy, labels)
    return policy.default if index is None else policy.rules[index].urgency


def page_now_or_when(
    urgency: Urgency,
    time_zone: str | ZoneInfo,
    at: datetime,
    working_hours: WorkingHours | None = None,
) -> datetime:
    """The UTC instant at which a page due at `at` may reach a person living in `time_zone`.

    High urgency: `at`. Low urgency: `at` if it falls within working hours on the person's wall
    clock, else the next start of working hours (the caller holds the page until then).
    """
    at = to_utc(at, "at")
    if urgency == "high":
        return at
    zone = time_zone if isinstance(time_zone, ZoneInfo) else ZoneInfo(time_zone)
    for opens, closes in _windows(working_hours or WorkingHours(), zone, at):
        if at < closes:
            return max(at, opens)
    raise AssertionError("working hours open at least once a week")  # pragma: no cover


def step_release_at(
    urgency: Urgency,
    time_zones: Iterable[str | ZoneInfo],
    at: datetime,
    working_hours: WorkingHours | None = None,
) -> datetime:
    """When an escalation step due at `at`, paging people in `time_zones`, pages its first one.

    At once if it pages no person (channels only) or if any of them may be paged now; else when
    the first of them may be. Until then the step waits whole (channels too), which keeps a
    low-urgency escalation from running through its steps overnight; from then on each person
    gets their page at their own working hours (`recipients.step_pages`).
    """
    return min(
        (page_now_or_when(urgency, zone, at, working_hours) for zone in time_zones),
        default=to_utc(at, "at"),
    )


def within_working_hours(
    time_zone: str | ZoneInfo, at: datetime, working_hours: WorkingHours | None = None
) -> bool:
    """Whether `at` falls within working hours on the wall clock of `time_zone`."""
    return page_now_or_when("low", time_zone, at, working_hours) == to_utc(at, "at")


def _windows(hours: WorkingHours, zone: ZoneInfo, at: datetime) -> list[tuple[datetime, datetime]]:
    # A window opening the day before may still be open (an overnight window); start there.
    first_day = to_wall(at, zone).date() - _ONE_DAY
    window = Restriction(weekdays=hours.weekdays, start=hours.start, end=hours.end)
    return sorted(restriction_windows(window, zone, first_day, first_day + _LOOKAHEAD))
