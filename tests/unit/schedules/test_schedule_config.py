"""The `schedules:` config section: the documented example parses; mistakes name their field."""

from __future__ import annotations

import copy
from datetime import datetime, time, timedelta
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from services.router.domain.schedules import Schedule, parse_schedules

EXAMPLE = """
schedules:
  - name: payments-primary
    time_zone: Europe/Berlin
    layers:
      - name: weekly
        rotation: weekly
        start: "2026-01-05T09:00"
        handoff_time: "09:00"
        users: [alice, bob, carol]
      - name: business-hours-cover
        rotation: daily
        start: "2026-01-05T09:00"
        users: [dave]
        restrictions:
          - {weekdays: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00"}
      - name: nights
        rotation: custom
        shift_length: 12h
        start: "2026-01-05T21:00"
        users: [nora, nick]
    overrides:
      - {user: erin, start: "2026-03-29T00:00", end: "2026-03-30T00:00"}
"""


def test_documented_example_parses_into_frozen_models() -> None:
    (schedule,) = parse_schedules(yaml.safe_load(EXAMPLE)["schedules"])

    weekly, cover, nights = schedule.layers
    assert schedule.zone.key == "Europe/Berlin"
    assert weekly.start == datetime(2026, 1, 5, 9, 0)  # naive: a local reading
    assert cover.handoff == time(9, 0)  # defaults to start's time of day
    assert cover.restrictions[0].end == time(17, 0)
    assert nights.shift_length == timedelta(hours=12)
    assert schedule.overrides[0].user == "erin"
    with pytest.raises(ValidationError, match="frozen"):
        schedule.name = "renamed"  # type: ignore[misc]


def valid() -> dict[str, Any]:
    return {
        "name": "payments-primary",
        "time_zone": "Europe/Berlin",
        "layers": [
            {
                "name": "weekly",
                "rotation": "weekly",
                "start": "2026-01-05T09:00",
                "users": ["alice", "bob"],
                "restrictions": [{"weekdays": ["mon"], "start": "09:00", "end": "17:00"}],
            }
        ],
        "overrides": [{"user": "erin", "start": "2026-03-29T00:00", "end": "2026-03-30T00:00"}],
    }


def with_value(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    raw = copy.deepcopy(valid())
    target: Any = raw
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return raw


LAYER = ("layers", 0)
WINDOW = (*LAYER, "restrictions", 0)
OVERRIDE = ("overrides", 0)
MISTAKES: list[tuple[str, tuple[str | int, ...], Any, tuple[str | int, ...], str]] = [
    # (case, path set, value, loc reported, message fragment)
    ("unknown-zone", ("time_zone",), "Europe/Berlinn", ("time_zone",), "unknown time zone"),
    ("zone-directory", ("time_zone",), "Europe", ("time_zone",), "unknown time zone"),
    ("host-zone", ("time_zone",), "localtime", ("time_zone",), "not 'localtime'"),
    ("no-layers", ("layers",), [], ("layers",), "at least one item"),
    ("empty-users", (*LAYER, "users"), [], (*LAYER, "users"), "at least one item"),
    ("empty-user-name", (*LAYER, "users"), ["alice", ""], (*LAYER, "users", 1), "at least 1"),
    ("unknown-rotation", (*LAYER, "rotation"), "monthly", (*LAYER, "rotation"), "'daily'"),
    ("typo-field", (*LAYER, "handof_time"), "09:00", (*LAYER, "handof_time"), "not permitted"),
    ("custom-no-length", (*LAYER, "rotation"), "custom", (*LAYER, "shift_length"), "required"),
    ("length-on-daily", (*LAYER, "shift_length"), "12h", (*LAYER, "shift_length"), "custom"),
    ("bad-length", (*LAYER, "shift_length"), "12 hours", (*LAYER, "shift_length"), "'12h'"),
    ("start-with-offset", (*LAYER, "start"), "2026-01-05T09:00+01:00", (*LAYER, "start"), "zone"),
    ("bad-handoff", (*LAYER, "handoff_time"), "9am", (*LAYER, "handoff_time"), "'HH:MM'"),
    ("hour-25", (*LAYER, "handoff_time"), "25:00", (*LAYER, "handoff_time"), "23:59"),
    ("reserved-name", (*LAYER, "name"), "override", (*LAYER, "name"), "reserved"),
    ("bad-weekday", (*WINDOW, "weekdays"), ["monday"], (*WINDOW, "weekdays", 0), "'mon'"),
    ("no-weekdays", (*WINDOW, "weekdays"), [], (*WINDOW, "weekdays"), "at least one item"),
    # Unquoted 17:00 in YAML 1.1 is the base-60 integer 1020.
    ("unquoted-yaml-time", (*WINDOW, "end"), 1020, (*WINDOW, "end"), "quoted"),
    ("24-only-as-end", (*WINDOW, "start"), "24:00", (*WINDOW, "start"), "23:59"),
    ("override-empty", (*OVERRIDE, "end"), "2026-03-29T00:00", (*OVERRIDE, "end"), "after"),
    ("override-reversed", (*OVERRIDE, "end"), "2026-03-28T00:00", (*OVERRIDE, "end"), "after"),
    ("override-no-user", (*OVERRIDE, "user"), "", (*OVERRIDE, "user"), "at least 1"),
    # Shifts are counted from a start: at the calendar's edges that overflowed at lookup.
    ("start-year-1", (*LAYER, "start"), "0001-01-01T00:30", (*LAYER, "start"), "the years"),
    ("override-to-9999", (*OVERRIDE, "end"), "9999-12-31T00:00", (*OVERRIDE, "end"), "the years"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "value", "loc", "fragment"),
    [row[1:] for row in MISTAKES],
    ids=[row[0] for row in MISTAKES],
)
def test_mistake_is_reported_at_its_field(
    path: tuple[str | int, ...], value: Any, loc: tuple[str | int, ...], fragment: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        Schedule.model_validate(with_value(path, value))

    errors = caught.value.errors()
    assert [error["loc"] for error in errors] == [loc]
    assert fragment in errors[0]["msg"]


def test_a_custom_shift_longer_than_a_year_is_refused_at_its_field() -> None:
    custom = with_value((*LAYER, "rotation"), "custom")
    custom["layers"][0]["shift_length"] = "99999999d"

    with pytest.raises(ValidationError) as caught:
        Schedule.model_validate(custom)

    [error] = caught.value.errors()
    assert (error["loc"], error["msg"]) == (
        (*LAYER, "shift_length"),
        "Value error, must be at most 366 days",
    )


def test_duplicate_layer_names_are_rejected() -> None:
    raw = valid()
    raw["layers"].append(raw["layers"][0])

    with pytest.raises(ValidationError, match="layer names must be unique; repeated: weekly"):
        Schedule.model_validate(raw)


def test_override_emptied_by_the_dst_gap_is_rejected() -> None:
    # 02:30 does not exist on 2026-03-29 and reads as 03:30 CEST, after the 03:00 end.
    in_the_gap = {"user": "erin", "start": "2026-03-29T02:30", "end": "2026-03-29T03:00"}
    raw = with_value(OVERRIDE, in_the_gap)

    with pytest.raises(ValidationError, match=r"overrides\.0: end is not after start"):
        Schedule.model_validate(raw)


def test_schedule_names_must_be_unique_across_the_section() -> None:
    with pytest.raises(ValidationError, match="schedule names must be unique"):
        parse_schedules([valid(), valid()])


def test_section_errors_carry_the_schedule_index() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_schedules([valid(), with_value(("time_zone",), "Mars/Olympus") | {"name": "b"}])

    assert [error["loc"] for error in caught.value.errors()] == [(1, "time_zone")]
