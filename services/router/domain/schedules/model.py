"""Config models for the `schedules:` section, validated once at start-up and then frozen.

All dates and times in a schedule are wall-clock readings in the schedule's `time_zone`; the
rotation code turns them into instants (see `wallclock.to_instant` for DST gaps and folds).
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Annotated, Final, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    NaiveDatetime,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)

from services.router.domain.schedules.wallclock import to_instant

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# Indexed by `date.weekday()`.
WEEKDAYS: Final[tuple[Weekday, ...]] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RotationKind = Literal["daily", "weekly", "custom"]
# The `source` reported when an override decides; reserved so it cannot be mistaken for a layer.
OVERRIDE_SOURCE: Final = "override"

_T = TypeVar("_T")
_LONGEST_SHIFT = timedelta(days=366)
_FIRST_YEAR, _LAST_YEAR = 1900, 9000
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")
_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?")


def _clock(value: object, *, allow_24: bool) -> object:
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise ValueError("a time of day is local to the schedule; drop the UTC offset")
        return value
    if isinstance(value, int):
        # YAML 1.1 reads an unquoted 17:00 as the base-60 integer 1020.
        raise ValueError("write times of day as quoted strings, e.g. '17:00'")
    match = _CLOCK.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError("expected a time of day as 'HH:MM'")
    hour, minute = int(match[1]), int(match[2])
    if allow_24 and (hour, minute) == (24, 0):
        return time(0, 0)  # a window end at midnight; `Restriction` reads it as the next day
    if hour > 23 or minute > 59:
        raise ValueError("expected a time of day between 00:00 and 23:59")
    return time(hour, minute)


def _duration(value: object) -> object:
    if isinstance(value, timedelta):
        return value
    match = _DURATION.fullmatch(value) if isinstance(value, str) and value else None
    if match is None:
        raise ValueError("expected a duration such as '12h', '90m', '1h30m' or '2d'")
    days, hours, minutes = (int(part or 0) for part in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes)


def _non_empty(value: tuple[_T, ...]) -> tuple[_T, ...]:
    # Not Field(min_length=1): on tuples pydantic then adds a bogus "too short" error whenever
    # an item is invalid.
    if not value:
        raise ValueError("must list at least one item")
    return value


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("must be longer than zero")
    if value > _LONGEST_SHIFT:
        raise ValueError("must be at most 366 days")
    return value


def _within_calendar(value: datetime) -> datetime:
    """Shifts are counted on from here, in the schedule's zone: years 1900 to 9000 leave room
    both ways (a year-1 start east of UTC is before the first instant a clock can hold)."""
    if not _FIRST_YEAR <= value.year <= _LAST_YEAR:
        raise ValueError(f"must be between the years {_FIRST_YEAR} and {_LAST_YEAR}")
    return value


def _time_of_day(value: object) -> object:
    return _clock(value, allow_24=False)


def _window_end(value: object) -> object:
    return _clock(value, allow_24=True)


ClockTime = Annotated[time, BeforeValidator(_time_of_day)]
WindowEnd = Annotated[time, BeforeValidator(_window_end)]
ShiftLength = Annotated[timedelta, BeforeValidator(_duration), AfterValidator(_positive)]
# Naive on purpose: a local wall-clock reading, e.g. "2026-01-05T09:00".
LocalDateTime = Annotated[NaiveDatetime, AfterValidator(_within_calendar)]
Name = Annotated[str, Field(min_length=1)]


class Restriction(BaseModel):
    """A weekly window in which a layer covers; outside all of its windows the layer is silent.

    The window opens at `start` on each listed weekday and closes at `end` (exclusive). An `end`
    not after `start` falls on the following day: 22:00-06:00 covers the night after each listed
    day, and 00:00-24:00 (or 00:00-00:00) the whole day.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    weekdays: Annotated[tuple[Weekday, ...], AfterValidator(_non_empty)]
    start: ClockTime
    end: WindowEnd


class Layer(BaseModel):
    """A rotation of `users`, optionally confined to `restrictions`.

    `start` is the first handoff (local time). Daily and weekly rotations then hand off every 1
    or 7 local days at the wall-clock `handoff_time` (default: start's time of day), so across a
    DST change a shift lasts 23h or 25h. A `custom` rotation hands off every `shift_length` of
    wall-clock time from `start` (a 12h rotation from 08:00 keeps 08:00 and 20:00).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Name
    rotation: RotationKind
    start: LocalDateTime
    handoff_time: ClockTime | None = Field(default=None, validate_default=True)
    shift_length: ShiftLength | None = Field(default=None, validate_default=True)
    users: Annotated[tuple[Name, ...], AfterValidator(_non_empty)]
    restrictions: tuple[Restriction, ...] = ()

    @field_validator("name")
    @classmethod
    def _name_is_not_reserved(cls, value: str) -> str:
        if value == OVERRIDE_SOURCE:
            raise ValueError(f"{OVERRIDE_SOURCE!r} is reserved for overrides")
        return value

    @field_validator("handoff_time")
    @classmethod
    def _handoff_only_for_calendar_rotations(
        cls, value: time | None, info: ValidationInfo
    ) -> time | None:
        if value is not None and info.data.get("rotation") == "custom":
            raise ValueError("not allowed with rotation: custom (it hands off every shift_length)")
        return value

    @field_validator("shift_length")
    @classmethod
    def _length_only_for_custom(
        cls, value: timedelta | None, info: ValidationInfo
    ) -> timedelta | None:
        rotation = info.data.get("rotation")
        if rotation == "custom" and value is None:
            raise ValueError("required with rotation: custom")
        if rotation in ("daily", "weekly") and value is not None:
            raise ValueError(f"only allowed with rotation: custom, not {rotation}")
        return value

    @property
    def handoff(self) -> time:
        """The wall-clock time of every handoff after the first."""
        return self.start.time() if self.handoff_time is None else self.handoff_time


class Override(BaseModel):
    """`user` is on call from `start` to `end` (local, end exclusive), whatever the layers say."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user: Name
    start: LocalDateTime
    end: LocalDateTime

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, value: LocalDateTime, info: ValidationInfo) -> LocalDateTime:
        start = info.data.get("start")
        if start is not None and value <= start:
            raise ValueError("must be after start")
        return value


def known_time_zone(value: str) -> str:
    """An IANA zone name; "localtime" is refused: it means different things on different hosts."""
    if value == "localtime":
        raise ValueError("name an IANA time zone such as 'Europe/Berlin', not 'localtime'")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"unknown time zone {value!r}; use an IANA name such as 'Europe/Berlin'"
        ) from None
    return value


class Schedule(BaseModel):
    """Who is on call when: layers top to bottom (the last covering one wins), then overrides."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Name
    time_zone: str
    layers: Annotated[tuple[Layer, ...], AfterValidator(_non_empty)]
    overrides: tuple[Override, ...] = ()

    _known_zone = field_validator("time_zone")(known_time_zone)

    @field_validator("layers")
    @classmethod
    def _unique_layer_names(cls, value: tuple[Layer, ...]) -> tuple[Layer, ...]:
        _require_unique([layer.name for layer in value], "layer")
        return value

    @model_validator(mode="after")
    def _overrides_survive_dst(self) -> Schedule:
        # Both ends inside a DST gap can resolve to an empty or inverted interval.
        for index, override in enumerate(self.overrides):
            if to_instant(override.end, self.zone) <= to_instant(override.start, self.zone):
                raise ValueError(
                    f"overrides.{index}: end is not after start once the DST change in "
                    f"{self.time_zone} is applied"
                )
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)  # ZoneInfo caches instances by key


def _require_unique(names: list[str], what: str) -> None:
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"{what} names must be unique; repeated: {', '.join(duplicates)}")


def _unique_schedule_names(value: tuple[Schedule, ...]) -> tuple[Schedule, ...]:
    _require_unique([schedule.name for schedule in value], "schedule")
    return value


# The type of the `schedules:` key, for embedding in a service's settings model.
ScheduleList = Annotated[tuple[Schedule, ...], AfterValidator(_unique_schedule_names)]
_SCHEDULE_LIST: Final = TypeAdapter(ScheduleList)


def parse_schedules(raw: object) -> tuple[Schedule, ...]:
    """Validate the value of a `schedules:` key (e.g. from `yaml.safe_load`)."""
    return _SCHEDULE_LIST.validate_python(raw)
