"""Rotations on their own: wall-clock handoffs across DST, for calendar and custom lengths, and
the gap/fold rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.router.domain.schedules import Schedule, on_call_at
from services.router.domain.schedules.rotation import handoff_at, shift_index


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def one_layer(zone: str, rotation: str, start: str, users: list[str], **extra: Any) -> Schedule:
    layer = {"name": "primary", "rotation": rotation, "start": start, "users": users, **extra}
    return Schedule.model_validate({"name": "s", "time_zone": zone, "layers": [layer]})


# Each row: the handoff at `handoff_at` passes the pager from `before` to `after`. Comments give
# the local times; a 24h/168h-arithmetic implementation would be an hour off on each row.
DST_HANDOFFS = [
    # Berlin springs forward 2026-03-29 02:00 CET -> 03:00 CEST: bob's daily shift lasts 23h.
    ("berlin-daily-spring", "Europe/Berlin", "daily", "2026-03-27T09:00", "2026-03-29T07:00"),
    # Berlin falls back 2026-10-25 03:00 CEST -> 02:00 CET: bob's daily shift lasts 25h.
    ("berlin-daily-fall", "Europe/Berlin", "daily", "2026-10-23T09:00", "2026-10-25T08:00"),
    # Weekly shift containing the change: Mon 09:00 CET -> Mon 09:00 CEST, 167h.
    ("berlin-weekly-spring", "Europe/Berlin", "weekly", "2026-03-16T09:00", "2026-03-30T07:00"),
    ("berlin-weekly-fall", "Europe/Berlin", "weekly", "2026-10-12T09:00", "2026-10-26T08:00"),
    # New York springs forward 2026-03-08 02:00 EST -> 03:00 EDT.
    ("ny-daily-spring", "America/New_York", "daily", "2026-03-06T09:00", "2026-03-08T13:00"),
    # New York falls back 2026-11-01 02:00 EDT -> 01:00 EST.
    ("ny-daily-fall", "America/New_York", "daily", "2026-10-30T09:00", "2026-11-01T14:00"),
    ("ny-weekly-spring", "America/New_York", "weekly", "2026-02-23T09:00", "2026-03-09T13:00"),
    ("ny-weekly-fall", "America/New_York", "weekly", "2026-10-19T09:00", "2026-11-02T14:00"),
]


@pytest.mark.parametrize(
    ("zone", "rotation", "start", "handoff"),
    [row[1:] for row in DST_HANDOFFS],
    ids=[row[0] for row in DST_HANDOFFS],
)
def test_calendar_rotation_hands_off_at_local_0900_across_dst(
    zone: str, rotation: str, start: str, handoff: str
) -> None:
    # Given alice, bob, carol rotating from `start`, so bob holds the shift containing the change
    schedule = one_layer(zone, rotation, start, ["alice", "bob", "carol"])
    handoff_at = utc(handoff)

    # Then bob keeps the pager until 09:00 local on the far side of the change, not a minute more
    assert on_call_at(schedule, handoff_at - timedelta(minutes=1)).user == "bob"
    assert on_call_at(schedule, handoff_at).user == "carol"
    assert on_call_at(schedule, handoff_at).reason.endswith(
        "shift since " + handoff_at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")
    )


@pytest.mark.parametrize(
    ("at", "user"),
    [
        ("2026-03-28T19:59", None),  # 20:59 CET, before the layer starts
        ("2026-03-28T20:00", "alice"),  # 21:00 CET
        ("2026-03-29T06:59", "alice"),
        ("2026-03-29T07:00", "bob"),  # 09:00 CEST: 11 hours later, the wall clock's 12
        ("2026-03-29T18:59", "bob"),
        ("2026-03-29T19:00", "alice"),  # 21:00 CEST
        ("2026-10-24T19:00", "alice"),  # 21:00 CEST, 420 shifts on
        ("2026-10-25T07:59", "alice"),  # 08:59 CET: the fall-back night's shift lasts 13 hours
        ("2026-10-25T08:00", "bob"),  # 09:00 CET
    ],
)
def test_custom_rotation_hands_off_at_the_same_wall_clock_times_across_dst(
    at: str, user: str | None
) -> None:
    # Given a 12h follow-the-sun rotation handing off at 09:00 and 21:00 Berlin time
    schedule = one_layer(
        "Europe/Berlin", "custom", "2026-03-28T21:00", ["alice", "bob"], shift_length="12h"
    )

    assert on_call_at(schedule, utc(at)).user == user


def test_custom_rotation_of_days_keeps_its_local_handoff_time() -> None:
    # Given a 3-day rotation from Friday 09:00 New York time, over the spring change (03-08)
    schedule = one_layer(
        "America/New_York", "custom", "2026-03-06T09:00", ["alice", "bob"], shift_length="3d"
    )

    # Then bob takes over on Monday at 09:00 EDT (13:00Z), not 08:00 EDT
    assert on_call_at(schedule, utc("2026-03-09T12:59")).user == "alice"
    assert on_call_at(schedule, utc("2026-03-09T13:00")).user == "bob"


@pytest.mark.parametrize(
    "zone",
    [
        "Europe/Berlin",
        "America/New_York",
        "Australia/Lord_Howe",
        "America/Santiago",
        "Antarctica/Troll",
    ],
)
@pytest.mark.parametrize("length", ["10m", "25m", "30m", "1h", "90m", "5h"])
def test_custom_handoffs_never_go_backwards_through_dst_gaps_and_folds(
    zone: str, length: str
) -> None:
    # Given short shifts whose readings fall inside spring gaps and autumn folds (Lord Howe's
    # changes are half an hour, Troll's two hours; shifts shorter than half the gap included),
    # over a year
    schedule = one_layer(zone, "custom", "2026-01-01T00:10", ["alice"], shift_length=length)
    layer, time_zone = schedule.layers[0], ZoneInfo(zone)
    count = int(timedelta(days=366) / schedule.layers[0].shift_length)  # type: ignore[operator]

    # Then each handoff comes no sooner than the one before, and the shift running at an
    # instant only ever moves forward as time passes (walked in 5 minute steps over each change)
    handoffs = [handoff_at(layer, time_zone, k) for k in range(count)]
    assert all(a <= b for a, b in pairwise(handoffs))
    days = [utc("2026-01-01T00:00") + timedelta(days=day) for day in range(366)]
    changes = [
        a
        for a, b in pairwise(days)
        if a.astimezone(time_zone).utcoffset() != b.astimezone(time_zone).utcoffset()
    ]
    assert len(changes) == 2
    walk = [day + timedelta(minutes=5 * step) for day in changes for step in range(-288, 288)]
    running = [shift_index(layer, time_zone, at) or 0 for at in walk]
    assert all(a <= b for a, b in pairwise(running))


@pytest.mark.parametrize(
    ("zone", "start", "at", "before", "after"),
    [
        # 02:30 on 2026-03-29 does not exist in Berlin: read as 03:30 CEST (shifted forward).
        ("Europe/Berlin", "2026-03-27T02:30", "2026-03-29T01:30", "bob", "carol"),
        # ... and the next day's 02:30 CEST is only 23h later.
        ("Europe/Berlin", "2026-03-27T02:30", "2026-03-30T00:30", "carol", "alice"),
        # 02:30 on 2026-10-25 happens twice in Berlin: the first, CEST, occurrence counts.
        ("Europe/Berlin", "2026-10-23T02:30", "2026-10-25T00:30", "bob", "carol"),
        # New York: 02:30 on 2026-03-08 is read as 03:30 EDT.
        ("America/New_York", "2026-03-06T02:30", "2026-03-08T07:30", "bob", "carol"),
        # New York: 01:30 on 2026-11-01 happens twice; the first (EDT) one counts.
        ("America/New_York", "2026-10-30T01:30", "2026-11-01T05:30", "bob", "carol"),
    ],
)
def test_handoff_in_dst_gap_moves_forward_and_in_fold_takes_first_occurrence(
    zone: str, start: str, at: str, before: str, after: str
) -> None:
    schedule = one_layer(zone, "daily", start, ["alice", "bob", "carol"])

    assert on_call_at(schedule, utc(at) - timedelta(minutes=1)).user == before
    assert on_call_at(schedule, utc(at)).user == after


def test_handoff_time_other_than_start_shortens_the_first_shift() -> None:
    # Given a daily layer starting at 08:00 whose handoffs happen at 09:00
    schedule = one_layer(
        "Europe/Berlin", "daily", "2026-01-05T08:00", ["alice", "bob"], handoff_time="09:00"
    )

    # Then alice's first shift is 08:00-09:00 and bob's a full day from 09:00
    assert on_call_at(schedule, utc("2026-01-05T07:00")).user == "alice"
    assert on_call_at(schedule, utc("2026-01-05T08:00")).user == "bob"
    assert on_call_at(schedule, utc("2026-01-06T07:59")).user == "bob"
    assert on_call_at(schedule, utc("2026-01-06T08:00")).user == "alice"


def test_rotation_position_is_exact_months_after_start() -> None:
    # 2026-01-05 to 2026-07-06 is 182 days: shift 182 belongs to users[182 % 3] = carol
    schedule = one_layer("Europe/Berlin", "daily", "2026-01-05T09:00", ["alice", "bob", "carol"])

    assert on_call_at(schedule, utc("2026-07-06T06:59")).user == "bob"
    assert on_call_at(schedule, utc("2026-07-06T07:00")).user == "carol"


def test_nobody_is_on_call_before_the_first_layer_starts() -> None:
    schedule = one_layer("Europe/Berlin", "weekly", "2026-01-05T09:00", ["alice"])

    on_call = on_call_at(schedule, utc("2026-01-05T07:59"))

    assert (on_call.user, on_call.source) == (None, None)
    assert on_call.reason == "nobody: 'primary' starts 2026-01-05 09:00 CET"


def test_instant_in_another_zone_is_the_same_instant() -> None:
    schedule = one_layer("Europe/Berlin", "daily", "2026-03-27T09:00", ["alice", "bob", "carol"])
    new_york_3am = datetime(2026, 3, 29, 3, 0, tzinfo=ZoneInfo("America/New_York"))  # 07:00Z

    assert on_call_at(schedule, new_york_3am).user == "carol"


def test_naive_instant_is_rejected() -> None:
    schedule = one_layer("Europe/Berlin", "daily", "2026-01-05T09:00", ["alice"])

    with pytest.raises(ValueError, match="timezone-aware"):
        on_call_at(schedule, datetime(2026, 1, 5, 9, 0))


def test_a_shift_shorter_than_half_the_gap_runs_on_until_the_last_reading_moved_past_it() -> None:
    # Berlin skips 02:00-03:00 on 2026-03-29; 25 minute shifts from 01:00: 02:15 (bob) and
    # 02:40 (alice) never happen and move to 03:15 and 03:40 CEST; 03:05 (bob) and 03:30 (alice)
    # may come no sooner than 03:40, so bob is on until 03:40 CEST (01:40Z), alice until 03:55.
    schedule = one_layer(
        "Europe/Berlin", "custom", "2026-03-29T01:00", ["alice", "bob"], shift_length="25m"
    )

    assert on_call_at(schedule, utc("2026-03-29T01:30")).user == "bob"
    assert on_call_at(schedule, utc("2026-03-29T01:39")).user == "bob"
    assert on_call_at(schedule, utc("2026-03-29T01:40")).user == "alice"
    assert on_call_at(schedule, utc("2026-03-29T01:55")).user == "bob"
