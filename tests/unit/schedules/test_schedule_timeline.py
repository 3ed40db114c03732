"""`shifts` and `gaps`: exact boundaries over DST changes, merging, restricted-only nights."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.router.domain.schedules import Schedule, Shift, gaps, on_call_at, shifts
from services.router.domain.schedules.rotation import layer_changes


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def schedule_of(
    layers: list[dict[str, Any]],
    overrides: list[dict[str, str]] | None = None,
    zone: str = "Europe/Berlin",
) -> Schedule:
    raw = {"name": "s", "time_zone": zone, "layers": layers, "overrides": overrides or []}
    return Schedule.model_validate(raw)


def rows(shift_list: list[Shift]) -> list[tuple[str | None, str, str, str | None]]:
    """Shifts as (user, starts_at, ends_at, source), UTC written without the offset."""
    return [
        (
            s.user,
            s.starts_at.strftime("%Y-%m-%dT%H:%M"),
            s.ends_at.strftime("%Y-%m-%dT%H:%M"),
            s.source,
        )
        for s in shift_list
    ]


WEEKLY = {
    "name": "weekly",
    "rotation": "weekly",
    "start": "2026-01-05T09:00",
    "users": ["alice", "bob", "carol"],
}
BUSINESS_HOURS = {
    "name": "business-hours-cover",
    "rotation": "daily",
    "start": "2026-01-05T09:00",
    "users": ["dave"],
    "restrictions": [
        {"weekdays": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}
    ],
}
ERIN_ON_SUNDAY = {"user": "erin", "start": "2026-03-29T00:00", "end": "2026-03-30T00:00"}

DST_SHIFTS = [
    (
        "berlin-daily-spring",  # bob's day is 23h
        "Europe/Berlin", "daily", "2026-03-27T09:00", "2026-03-27T08:00",
        [
            ("alice", "2026-03-27T08:00", "2026-03-28T08:00", "p"),
            ("bob", "2026-03-28T08:00", "2026-03-29T07:00", "p"),
            ("carol", "2026-03-29T07:00", "2026-03-30T07:00", "p"),
        ],
    ),
    (
        "berlin-daily-fall",  # alice's day is 25h
        "Europe/Berlin", "daily", "2026-10-24T09:00", "2026-10-24T07:00",
        [
            ("alice", "2026-10-24T07:00", "2026-10-25T08:00", "p"),
            ("bob", "2026-10-25T08:00", "2026-10-26T08:00", "p"),
            ("carol", "2026-10-26T08:00", "2026-10-27T08:00", "p"),
        ],
    ),
    (
        "ny-weekly-fall",  # first shift clipped to `start`; bob's week is 169h
        "America/New_York", "weekly", "2026-10-19T09:00", "2026-10-20T00:00",
        [
            ("alice", "2026-10-20T00:00", "2026-10-26T13:00", "p"),
            ("bob", "2026-10-26T13:00", "2026-11-02T14:00", "p"),
            ("carol", "2026-11-02T14:00", "2026-11-09T14:00", "p"),
        ],
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("zone", "rotation", "layer_start", "start", "expected"),
    [row[1:] for row in DST_SHIFTS],
    ids=[row[0] for row in DST_SHIFTS],
)
def test_shifts_have_exact_boundaries_across_dst(
    zone: str, rotation: str, layer_start: str, start: str, expected: list[tuple[str, ...]]
) -> None:
    layer = {"name": "p", "rotation": rotation, "start": layer_start}
    schedule = schedule_of([layer | {"users": ["alice", "bob", "carol"]}], zone=zone)

    assert rows(shifts(schedule, utc(start), 3)) == expected


def test_shifts_follow_layers_restrictions_and_overrides_through_the_spring_change() -> None:
    schedule = schedule_of([WEEKLY, BUSINESS_HOURS], overrides=[ERIN_ON_SUNDAY])

    result = shifts(schedule, utc("2026-03-27T11:00"), 6)  # Fri 12:00 CET

    assert rows(result) == [
        ("dave", "2026-03-27T11:00", "2026-03-27T16:00", "business-hours-cover"),
        ("carol", "2026-03-27T16:00", "2026-03-28T23:00", "weekly"),  # to Sun 00:00 CET
        ("erin", "2026-03-28T23:00", "2026-03-29T22:00", "override"),  # a 23h Sunday
        ("carol", "2026-03-29T22:00", "2026-03-30T07:00", "weekly"),  # to Mon 09:00 CEST
        ("dave", "2026-03-30T07:00", "2026-03-30T15:00", "business-hours-cover"),
        ("alice", "2026-03-30T15:00", "2026-03-31T07:00", "weekly"),  # alice's week from 09:00
    ]


def test_same_user_from_different_sources_stays_split_and_horizon_ends_the_walk() -> None:
    layer = {"name": "p", "rotation": "daily", "start": "2026-01-01T00:00", "users": ["alice"]}
    override = {"user": "alice", "start": "2026-01-06T10:00", "end": "2026-01-06T12:00"}
    schedule = schedule_of([layer], overrides=[override])

    result = shifts(schedule, utc("2026-01-06T00:00"), 5, horizon=timedelta(days=2))

    assert rows(result) == [
        ("alice", "2026-01-06T00:00", "2026-01-06T09:00", "p"),
        ("alice", "2026-01-06T09:00", "2026-01-06T11:00", "override"),
        ("alice", "2026-01-06T11:00", "2026-01-08T00:00", "p"),  # cut at the horizon
    ]


def test_single_user_rotation_is_one_shift_up_to_the_horizon() -> None:
    layer = {"name": "p", "rotation": "daily", "start": "2026-01-01T00:00", "users": ["alice"]}

    result = shifts(schedule_of([layer]), utc("2026-01-10T00:00"), 3)

    assert rows(result) == [("alice", "2026-01-10T00:00", "2027-01-11T00:00", "p")]


def test_zero_shifts_asked_for_returns_none() -> None:
    assert shifts(schedule_of([WEEKLY]), utc("2026-01-10T00:00"), 0) == []


def test_gaps_are_the_nights_a_business_hours_only_schedule_leaves_empty() -> None:
    schedule = schedule_of([BUSINESS_HOURS])

    # Mon 2026-01-05 00:00 CET to Sat 00:00 CET
    result = gaps(schedule, utc("2026-01-04T23:00"), utc("2026-01-09T23:00"))

    assert result == [
        (utc("2026-01-04T23:00"), utc("2026-01-05T08:00")),
        (utc("2026-01-05T16:00"), utc("2026-01-06T08:00")),
        (utc("2026-01-06T16:00"), utc("2026-01-07T08:00")),
        (utc("2026-01-07T16:00"), utc("2026-01-08T08:00")),
        (utc("2026-01-08T16:00"), utc("2026-01-09T08:00")),
        (utc("2026-01-09T16:00"), utc("2026-01-09T23:00")),
    ]


def test_weekend_gap_over_the_spring_change_is_one_interval() -> None:
    schedule = schedule_of([BUSINESS_HOURS])

    # Fri 12:00 CET to Tue 12:00 CEST
    result = gaps(schedule, utc("2026-03-27T11:00"), utc("2026-03-31T10:00"))

    assert result == [
        (utc("2026-03-27T16:00"), utc("2026-03-30T07:00")),  # Fri 17:00 CET - Mon 09:00 CEST
        (utc("2026-03-30T15:00"), utc("2026-03-31T07:00")),
    ]


def test_unrestricted_schedule_has_no_gaps_once_started() -> None:
    schedule = schedule_of([WEEKLY, BUSINESS_HOURS])

    assert gaps(schedule, utc("2026-01-05T08:00"), utc("2026-04-01T00:00")) == []


def test_gaps_reject_an_end_before_the_start() -> None:
    with pytest.raises(ValueError, match="end must not be before start"):
        gaps(schedule_of([WEEKLY]), utc("2026-01-06T00:00"), utc("2026-01-05T00:00"))


NIGHT_CUSTOM = {
    "name": "nights",
    "rotation": "custom",
    "shift_length": "10h",
    "start": "2026-03-20T22:00",
    "users": ["nora", "nick"],
    "restrictions": [{"weekdays": ["fri", "sat", "sun"], "start": "22:00", "end": "06:00"}],
}
# Covers the autumn fold: 01:00 CEST to 04:00 CET, four hours.
FRANK_IN_THE_FOLD = {"user": "frank", "start": "2026-10-25T01:00", "end": "2026-10-25T04:00"}
MIXED = schedule_of(
    [WEEKLY, BUSINESS_HOURS, NIGHT_CUSTOM], overrides=[ERIN_ON_SUNDAY, FRANK_IN_THE_FOLD]
)
WALK_START = utc("2026-03-20T00:00")
WALK_DAYS = 240


@cache
def walk() -> list[Shift]:
    return shifts(MIXED, WALK_START, 2000)


def test_walk_is_contiguous_and_every_shift_differs_from_the_next() -> None:
    result = walk()

    assert result[0].starts_at == WALK_START
    assert result[-1].ends_at > WALK_START + timedelta(days=WALK_DAYS)
    assert all(a.ends_at == b.starts_at for a, b in pairwise(result))
    assert all((a.user, a.source) != (b.user, b.source) for a, b in pairwise(result))


@settings(derandomize=True, max_examples=300, deadline=None)
@given(offset=st.integers(min_value=0, max_value=WALK_DAYS * 86_400))
def test_every_instant_in_a_shift_gets_that_shifts_answer(offset: int) -> None:
    at = WALK_START + timedelta(seconds=offset)
    (containing,) = [s for s in walk() if s.starts_at <= at < s.ends_at]

    on_call = on_call_at(MIXED, at)

    assert (on_call.user, on_call.source) == (containing.user, containing.source)


MINUTES = {
    "name": "minutes",
    "rotation": "custom",
    "shift_length": "1m",
    "start": "2026-03-29T01:57",  # Berlin springs forward at 02:00 local
    "users": ["alice", "alice", "bob"],
}
REPEATS = schedule_of([MINUTES])


def test_a_handoff_to_the_same_person_is_no_change() -> None:
    layer = REPEATS.layers[0]

    changes = list(
        layer_changes(layer, REPEATS.zone, utc("2026-03-29T00:00"), utc("2026-03-29T01:05"))
    )

    # Shifts 0, 1, 2 ... are alice, alice, bob: alice takes over at shifts 3, 6; bob at 2, 5.
    assert [c.strftime("%H:%M") for c in changes] == ["00:57", "00:59", "01:00", "01:02", "01:03"]


def test_a_one_person_rotation_of_minutes_has_no_handoff_within_a_year() -> None:
    alone = schedule_of([{**MINUTES, "users": ["alice"]}])
    start, end = utc("2026-01-01T00:00"), utc("2027-01-01T00:00")

    assert list(layer_changes(alone.layers[0], alone.zone, start, end)) == [utc("2026-03-29T00:57")]
    assert rows(shifts(alone, utc("2026-06-01T00:00"), 2)) == [
        ("alice", "2026-06-01T00:00", "2027-06-02T00:00", "minutes")
    ]


@settings(derandomize=True, max_examples=200, deadline=None)
@given(offset=st.integers(min_value=0, max_value=3 * 3_600 - 1))
def test_shifts_of_a_rotation_naming_a_person_twice_agree_with_who_is_on_call(offset: int) -> None:
    start = utc("2026-03-29T00:30")
    walked = shifts(REPEATS, start, 500, horizon=timedelta(hours=3))
    at = start + timedelta(seconds=offset)
    (containing,) = [s for s in walked if s.starts_at <= at < s.ends_at] or [None]

    assert containing is not None
    assert on_call_at(REPEATS, at).user == containing.user
    assert all(a.user != b.user for a, b in pairwise(walked))
