"""Urgency: rule choice, and low-urgency pages waiting for working hours on the recipient's clock.

Berlin springs forward on 2026-03-29 and falls back on 2026-10-25; New York springs forward on
2026-03-08 and falls back on 2026-11-01, so in between the two zones are 5 hours apart, not 6.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from services.router.config import RouterConfig
from services.router.directory import ConfigDirectory
from services.router.domain.urgency import (
    UrgencyPolicy,
    WorkingHours,
    deciding_rule,
    page_now_or_when,
    step_release_at,
    urgency_of,
    within_working_hours,
)
from services.router.schedule_lookup import on_call_lookup


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


POLICY = UrgencyPolicy.model_validate(
    {
        "rules": [
            {"matchers": ['severity="critical"'], "urgency": "high"},
            {"matchers": ['severity=~"warning|info"', 'env!="prod"'], "urgency": "low"},
            {"matchers": ['team=""'], "urgency": "low"},
        ],
        "default": "high",
    }
)


@pytest.mark.parametrize(
    ("labels", "rule", "urgency"),
    [
        ({"severity": "critical", "team": "db"}, 0, "high"),
        ({"severity": "warning", "team": "db"}, 1, "low"),
        ({"severity": "warning", "env": "prod", "team": "db"}, None, "high"),
        ({"severity": "critical"}, 0, "high"),  # first matching rule wins over rule 2
        ({"severity": "error"}, 2, "low"),  # no team label reads as team=""
        ({"severity": "error", "team": "db"}, None, "high"),
    ],
)
def test_first_matching_rule_decides_else_the_default(
    labels: dict[str, str], rule: int | None, urgency: str
) -> None:
    assert (deciding_rule(POLICY, labels), urgency_of(POLICY, labels)) == (rule, urgency)


def test_without_urgency_config_everything_is_high() -> None:
    assert urgency_of(UrgencyPolicy(), {"severity": "info"}) == "high"


@pytest.mark.parametrize(
    ("urgency", "zone", "at", "pages_at"),
    [
        # High urgency pages at once, night or day.
        ("high", "Europe/Berlin", "2026-03-28T23:30", "2026-03-28T23:30"),
        # Saturday 00:30 CET, the night the clocks jump: waits for Monday 09:00 CEST (07:00 UTC).
        ("low", "Europe/Berlin", "2026-03-28T23:30", "2026-03-30T07:00"),
        # Friday 22:00 CEST before the fall back: Monday 09:00 CET is 08:00 UTC.
        ("low", "Europe/Berlin", "2026-10-23T20:00", "2026-10-26T08:00"),
        # Tuesday night 02:00 CET: the same morning at 09:00 CET.
        ("low", "Europe/Berlin", "2026-10-27T01:00", "2026-10-27T08:00"),
        # Within working hours: at once; 09:00 itself is within, 18:00 is not.
        ("low", "Europe/Berlin", "2026-03-30T08:15", "2026-03-30T08:15"),
        ("low", "Europe/Berlin", "2026-03-30T07:00", "2026-03-30T07:00"),
        ("low", "Europe/Berlin", "2026-03-30T16:00", "2026-03-31T07:00"),
        # The same instant is night in Berlin but afternoon in New York (EDT, UTC-4).
        ("low", "America/New_York", "2026-03-27T19:00", "2026-03-27T19:00"),
        # Friday 20:00 EDT: Monday 09:00 EDT is 13:00 UTC.
        ("low", "America/New_York", "2026-03-28T00:00", "2026-03-30T13:00"),
        # After New York falls back: Monday 09:00 EST is 14:00 UTC.
        ("low", "America/New_York", "2026-11-01T12:00", "2026-11-02T14:00"),
    ],
)
def test_low_urgency_waits_for_next_working_hours_in_recipients_zone(
    urgency: Any, zone: str, at: str, pages_at: str
) -> None:
    assert page_now_or_when(urgency, zone, utc(at)) == utc(pages_at)


NIGHT_DESK = WorkingHours.model_validate(
    {"weekdays": ["sat", "sun"], "start": "22:00", "end": "06:00"}
)


@pytest.mark.parametrize(
    ("at", "pages_at"),
    [
        # Sunday 03:00 CEST, inside the window that opened Saturday 22:00 CET.
        ("2026-03-29T01:00", "2026-03-29T01:00"),
        # Sunday 06:30 CEST: the Sunday-night window opens at 22:00 CEST (20:00 UTC).
        ("2026-03-29T04:30", "2026-03-29T20:00"),
        # Monday 05:00 CEST: still inside Sunday's overnight window.
        ("2026-03-30T03:00", "2026-03-30T03:00"),
        # Monday 07:00 CEST: next Saturday 22:00 CEST.
        ("2026-03-30T05:00", "2026-04-04T20:00"),
    ],
)
def test_working_hours_may_cross_midnight(at: str, pages_at: str) -> None:
    assert page_now_or_when("low", "Europe/Berlin", utc(at), NIGHT_DESK) == utc(pages_at)


def test_page_time_accepts_any_offset_and_refuses_naive_instants() -> None:
    berlin_night = datetime.fromisoformat("2026-03-29T03:30+02:00")
    assert page_now_or_when("low", "Europe/Berlin", berlin_night) == utc("2026-03-30T07:00")
    assert within_working_hours("Europe/Berlin", utc("2026-03-30T07:00"))
    with pytest.raises(ValueError, match="timezone-aware"):
        page_now_or_when("low", "Europe/Berlin", datetime(2026, 3, 29, 3, 30))


@pytest.mark.parametrize(
    ("zones", "at", "release"),
    [
        ([], "2026-03-28T23:30", "2026-03-28T23:30"),  # channels only: at once
        (["Europe/Berlin", "America/New_York"], "2026-03-28T23:30", "2026-03-30T07:00"),
        (["America/New_York"], "2026-03-27T19:00", "2026-03-27T19:00"),
        (["Europe/Berlin", "America/New_York"], "2026-03-27T19:00", "2026-03-27T19:00"),
    ],
)
def test_step_is_released_when_the_first_of_its_people_may_be_paged(
    zones: list[str], at: str, release: str
) -> None:
    assert step_release_at("low", zones, utc(at)) == utc(release)


def test_held_step_is_released_at_a_handoff_to_someone_within_working_hours() -> None:
    # bob (New York) hands over to alice (Berlin) on Monday 09:00 CEST = 07:00 UTC.
    config = RouterConfig.model_validate(
        {
            "users": [
                {"name": "alice", "time_zone": "Europe/Berlin", "contacts": [{"type": "console"}]},
                {"name": "bob", "time_zone": "America/New_York", "contacts": [{"type": "console"}]},
            ],
            "schedules": [
                {
                    "name": "primary",
                    "time_zone": "Europe/Berlin",
                    "layers": [
                        {
                            "name": "weekly",
                            "rotation": "weekly",
                            "start": "2026-03-23T09:00",
                            "users": ["bob", "alice"],
                        }
                    ],
                }
            ],
        }
    )
    directory = ConfigDirectory(config, on_call_lookup(config))
    saturday_night = utc("2026-03-28T23:30")

    assert directory.step_release_at(["schedule:primary"], "low", saturday_night) == utc(
        "2026-03-30T07:00"
    )
    assert directory.step_release_at(["user:bob"], "low", saturday_night) == utc("2026-03-30T13:00")
    assert directory.step_release_at(["user:bob"], "high", saturday_night) == saturday_night


@pytest.mark.parametrize(
    ("raw", "location", "message"),
    [
        ({"default": "medium"}, ("default",), "'high' or 'low'"),
        ({"rules": [{"matchers": [], "urgency": "low"}]}, ("rules", 0, "matchers"), "at least"),
        ({"rules": [{"matchers": ["sev=warning"]}]}, ("rules", 0, "urgency"), "Field required"),
        ({"working_hours": {"weekdays": []}}, ("working_hours", "weekdays"), "at least one"),
        ({"working_hours": {"start": 540}}, ("working_hours", "start"), "quoted strings"),
        ({"working_hours": {"end": "25:00"}}, ("working_hours", "end"), "between 00:00"),
        ({"working_hours": {"weekdays": ["monday"]}}, ("working_hours", "weekdays", 0), "'mon'"),
    ],
)
def test_invalid_urgency_config_names_field(
    raw: dict[str, Any], location: tuple[object, ...], message: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        UrgencyPolicy.model_validate(raw)
    [error] = raised.value.errors()
    assert (error["loc"], message in error["msg"]) == (location, True)


def test_user_time_zone_must_be_an_iana_zone() -> None:
    with pytest.raises(ValidationError, match="unknown time zone 'Mars/Olympus'"):
        RouterConfig.model_validate({"users": [{"name": "zed", "time_zone": "Mars/Olympus"}]})


def test_held_step_waits_for_working_hours_when_no_handoff_comes_before_them() -> None:
    # bob alone on an hourly rotation: his handoffs hand the pager to himself, so the step
    # waits for his Monday morning in New York (the next handoff is looked for up to then only)
    config = RouterConfig.model_validate(
        {
            "users": [
                {"name": "bob", "time_zone": "America/New_York", "contacts": [{"type": "console"}]}
            ],
            "schedules": [
                {
                    "name": "primary",
                    "time_zone": "Europe/Berlin",
                    "layers": [
                        {
                            "name": "hourly",
                            "rotation": "custom",
                            "shift_length": "1h",
                            "start": "2026-03-23T09:00",
                            "users": ["bob"],
                        }
                    ],
                }
            ],
        }
    )
    directory = ConfigDirectory(config, on_call_lookup(config))

    release = directory.step_release_at(["schedule:primary"], "low", utc("2026-03-28T23:30"))

    assert release == utc("2026-03-30T13:00")
