"""Several layers and overrides: restrictions, the last covering layer winning, overrides on top."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from services.router.domain.schedules import Schedule, on_call_at


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def berlin(layers: list[dict[str, Any]], overrides: list[dict[str, str]] | None = None) -> Schedule:
    return Schedule.model_validate(
        {
            "name": "payments-primary",
            "time_zone": "Europe/Berlin",
            "layers": layers,
            "overrides": overrides or [],
        }
    )


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


@pytest.mark.parametrize(
    ("at", "user", "source"),
    [
        ("2026-01-05T07:59", None, None),  # Mon 08:59 CET: before both layers start
        ("2026-01-05T08:00", "dave", "business-hours-cover"),  # Mon 09:00
        ("2026-01-05T15:59", "dave", "business-hours-cover"),  # Mon 16:59
        ("2026-01-05T16:00", "alice", "weekly"),  # Mon 17:00: the window's end is exclusive
        ("2026-01-10T11:00", "alice", "weekly"),  # Sat 12:00: weekends are not restricted hours
        ("2026-01-12T09:00", "dave", "business-hours-cover"),  # Mon 10:00, weekly is bob's now
        ("2026-01-12T16:00", "bob", "weekly"),  # Mon 17:00
        ("2026-06-02T07:00", "dave", "business-hours-cover"),  # Tue 09:00 CEST: wall clock
        ("2026-06-02T06:59", "alice", "weekly"),  # Tue 08:59 CEST; week 21 -> users[21 % 3]
    ],
)
def test_weekday_business_hours_layer_covers_weekly_layer_only_inside_its_window(
    at: str, user: str | None, source: str | None
) -> None:
    schedule = berlin([WEEKLY, BUSINESS_HOURS])

    on_call = on_call_at(schedule, utc(at))

    assert (on_call.user, on_call.source) == (user, source)


NIGHT = {
    "name": "friday-night",
    "rotation": "daily",
    "start": "2026-01-05T00:00",
    "users": ["nora"],
    "restrictions": [{"weekdays": ["fri"], "start": "22:00", "end": "06:00"}],
}
BASE = {"name": "base", "rotation": "weekly", "start": "2026-01-05T00:00", "users": ["alice"]}


@pytest.mark.parametrize(
    ("at", "user"),
    [
        ("2026-01-08T22:00", "alice"),  # Thu 23:00 CET: Thursday is not listed
        ("2026-01-09T20:59", "alice"),  # Fri 21:59
        ("2026-01-09T21:00", "nora"),  # Fri 22:00
        ("2026-01-09T23:00", "nora"),  # Sat 00:00: the Friday window runs past midnight
        ("2026-01-10T04:59", "nora"),  # Sat 05:59
        ("2026-01-10T05:00", "alice"),  # Sat 06:00: end exclusive
        ("2026-01-10T21:00", "alice"),  # Sat 22:00: Saturday is not listed
    ],
)
def test_restriction_window_crossing_midnight_belongs_to_the_day_it_opens(
    at: str, user: str
) -> None:
    schedule = berlin([BASE, NIGHT])

    assert on_call_at(schedule, utc(at)).user == user


@pytest.mark.parametrize(
    ("at", "user"),
    [
        # Saturday night of the spring change: 22:00 CET -> 06:00 CEST, 7 hours.
        ("2026-03-28T20:59", "alice"),
        ("2026-03-28T21:00", "nora"),
        ("2026-03-29T03:59", "nora"),
        ("2026-03-29T04:00", "alice"),
        # Saturday night of the autumn change: 22:00 CEST -> 06:00 CET, 9 hours.
        ("2026-10-24T19:59", "alice"),
        ("2026-10-24T20:00", "nora"),
        ("2026-10-25T04:59", "nora"),
        ("2026-10-25T05:00", "alice"),
    ],
)
def test_night_window_follows_the_wall_clock_across_dst(at: str, user: str) -> None:
    saturday_night = NIGHT | {
        "restrictions": [{"weekdays": ["sat"], "start": "22:00", "end": "06:00"}]
    }
    schedule = berlin([BASE, saturday_night])

    assert on_call_at(schedule, utc(at)).user == user


@pytest.mark.parametrize(
    ("at", "user"),
    [
        ("2026-01-09T22:59", "alice"),  # Fri 23:59 CET
        ("2026-01-09T23:00", "wendy"),  # Sat 00:00
        ("2026-01-11T22:59", "wendy"),  # Sun 23:59
        ("2026-01-11T23:00", "alice"),  # Mon 00:00
    ],
)
def test_window_ending_at_2400_covers_whole_days(at: str, user: str) -> None:
    weekend = {
        "name": "weekend",
        "rotation": "weekly",
        "start": "2026-01-05T00:00",
        "users": ["wendy"],
        "restrictions": [{"weekdays": ["sat", "sun"], "start": "00:00", "end": "24:00"}],
    }
    schedule = berlin([BASE, weekend])

    assert on_call_at(schedule, utc(at)).user == user


@pytest.mark.parametrize(
    ("at", "user", "source"),
    [
        ("2026-01-05T12:00", "bob", "second"),  # both cover: the later-listed layer wins
        ("2026-01-31T22:59", "bob", "second"),  # Jan 31 23:59 CET: third not started yet
        ("2026-01-31T23:00", "carol", "third"),  # Feb 1 00:00 CET: third starts and wins
    ],
)
def test_last_covering_layer_wins(at: str, user: str, source: str) -> None:
    layers = [
        {"name": "first", "rotation": "daily", "start": "2026-01-01T00:00", "users": ["alice"]},
        {"name": "second", "rotation": "daily", "start": "2026-01-01T00:00", "users": ["bob"]},
        {"name": "third", "rotation": "daily", "start": "2026-02-01T00:00", "users": ["carol"]},
    ]
    on_call = on_call_at(berlin(layers), utc(at))

    assert (on_call.user, on_call.source) == (user, source)
    assert on_call.reason.startswith(f"last covering layer {source!r}")


@pytest.mark.parametrize(
    ("at", "user", "source"),
    [
        ("2026-03-28T22:59", "carol", "weekly"),  # Sat 23:59 CET; week 11 -> users[11 % 3]
        ("2026-03-28T23:00", "erin", "override"),  # Sun 00:00 CET: override starts
        ("2026-03-29T21:59", "erin", "override"),  # Sun 23:59 CEST: a 23h override
        ("2026-03-29T22:00", "carol", "weekly"),  # Mon 00:00 CEST: override over
    ],
)
def test_override_beats_every_layer_for_its_local_interval(at: str, user: str, source: str) -> None:
    schedule = berlin(
        [WEEKLY, BUSINESS_HOURS],
        overrides=[{"user": "erin", "start": "2026-03-29T00:00", "end": "2026-03-30T00:00"}],
    )

    on_call = on_call_at(schedule, utc(at))

    assert (on_call.user, on_call.source) == (user, source)


def test_override_beats_a_restricted_layer_inside_its_window() -> None:
    schedule = berlin(
        [WEEKLY, BUSINESS_HOURS],
        overrides=[{"user": "erin", "start": "2026-01-06T10:00", "end": "2026-01-06T12:00"}],
    )

    on_call = on_call_at(schedule, utc("2026-01-06T09:30"))  # Tue 10:30 CET

    assert (on_call.user, on_call.source) == ("erin", "override")
    assert on_call.reason == "override #0 for erin until 2026-01-06 12:00 CET"


def test_last_listed_override_wins_where_overrides_overlap() -> None:
    schedule = berlin(
        [WEEKLY],
        overrides=[
            {"user": "erin", "start": "2026-01-06T00:00", "end": "2026-01-07T00:00"},
            {"user": "frank", "start": "2026-01-06T12:00", "end": "2026-01-06T13:00"},
        ],
    )

    assert on_call_at(schedule, utc("2026-01-06T10:59")).user == "erin"
    assert on_call_at(schedule, utc("2026-01-06T11:00")).user == "frank"
    assert on_call_at(schedule, utc("2026-01-06T12:00")).user == "erin"


def test_reason_names_why_each_layer_is_silent() -> None:
    schedule = berlin([BUSINESS_HOURS, NIGHT | {"start": "2026-02-01T00:00"}])

    on_call = on_call_at(schedule, utc("2026-01-10T11:00"))  # Sat 12:00 CET

    assert on_call.user is None
    assert on_call.reason == (
        "nobody: 'business-hours-cover' is outside its restrictions; "
        "'friday-night' starts 2026-02-01 00:00 CET"
    )
