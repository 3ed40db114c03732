"""A held step's bookkeeping does not outlive it: a snooze ending restarts escalation with
nobody counted as paged already, a silence re-holding a step keeps the schedules it is done
with, and a reassignment between passes of a repeating policy keeps the minute between
passes."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.router.config import RouterConfig
from services.router.directory import ConfigDirectory
from services.router.schedule_lookup import on_call_lookup
from shared.events import AnyEvent, NotificationRequested
from shared.events.commands import ReassignIncident, SnoozeIncident
from tests.unit.router.urgency_world import INCIDENT, every_tick, opened, run, tick, utc

CONSOLE = [{"type": "console"}]
START = utc("2026-01-14T10:00")  # a Wednesday: 10:00 UTC is 19:00 in Tokyo
Log = list[tuple[AnyEvent, datetime]]


def _rules(
    users: dict[str, str], rotation: str, on_call: list[str], **extra: object
) -> ConfigDirectory:
    """Low urgency; step 1 pages `schedule:primary` and bob, step 2 alice 30 minutes later."""
    config = RouterConfig.model_validate(
        {
            "users": [
                {"name": name, "time_zone": zone, "contacts": CONSOLE}
                for name, zone in users.items()
            ],
            "schedules": [
                {
                    "name": "primary",
                    "time_zone": "UTC",
                    "layers": [
                        {
                            "name": "l",
                            "rotation": rotation,
                            "start": "2026-01-13T12:00",
                            "users": on_call,
                        }
                    ],
                }
            ],
            "escalation_policies": [
                {
                    "name": "team",
                    "steps": [
                        {"notify": ["schedule:primary", "user:bob"]},
                        {"delay": "30m", "notify": ["user:alice"]},
                    ],
                }
            ],
            "urgency": {"default": "low"},
            **extra,
        }
    )
    return ConfigDirectory(config, on_call_lookup(config))


def _paged(log: Log, rules: ConfigDirectory) -> list[tuple[str, datetime]]:
    decided = run(log, rules)
    return [
        (event.target, at)
        for events, (_, at) in zip(decided, log, strict=True)
        for event in events
        if isinstance(event, NotificationRequested)
    ]


def _snoozed(at: datetime, seconds: int) -> tuple[AnyEvent, datetime]:
    command = SnoozeIncident(
        command_id="s1", incident_id=INCIDENT, actor="x", duration_s=seconds, issued_at=at
    )
    return command, at


def test_a_snooze_ending_pages_the_on_call_person_again_after_a_step_held_for_others() -> None:
    # alice (UTC) is at work and paged; bob (Tokyo, 19:00) waits: the step is held.
    rules = _rules({"alice": "UTC", "bob": "Asia/Tokyo"}, "weekly", ["alice"])
    log: Log = [(opened(START), START), tick(START + timedelta(minutes=1))]
    log += [_snoozed(START + timedelta(minutes=5), 3600)]
    log += [
        tick(at)
        for at in every_tick(
            START + timedelta(minutes=6),
            START + timedelta(hours=1, minutes=10),
            timedelta(minutes=1),
        )
    ]

    paged = _paged(log, rules)

    assert ("alice", START) in paged
    assert ("alice", START + timedelta(hours=1, minutes=5)) in paged  # the snooze's end


def test_a_silence_re_holding_a_step_keeps_the_schedules_it_is_done_with() -> None:
    # alice is on call and paged at 10:00; the step waits for bob (Tokyo) until 00:00 UTC,
    # when a silence holds it until 00:30. carol, on call from 12:00, is not paged in it.
    silence = {
        "matchers": ['service="billing"'],
        "starts_at": "2026-01-14T23:00:00Z",
        "ends_at": "2026-01-15T00:30:00Z",
        "created_by": "ops",
        "comment": "maintenance",
    }
    users = {"alice": "UTC", "carol": "Asia/Tokyo", "bob": "Asia/Tokyo"}
    rules = _rules(users, "daily", ["alice", "carol"], silences=[silence])
    end = START + timedelta(hours=16)
    log: Log = [(opened(START), START)]
    log += [tick(at) for at in every_tick(START + timedelta(minutes=5), end, timedelta(minutes=5))]

    paged = _paged(log, rules)

    # bob at the first tick after the silence; step 2 (alice, asleep) waits for 09:00.
    assert paged == [("alice", START), ("bob", utc("2026-01-15T00:35"))]


def test_reassigning_between_passes_keeps_the_minute_between_passes() -> None:
    rules = ConfigDirectory(
        RouterConfig.model_validate(
            {
                "users": [{"name": n, "contacts": CONSOLE} for n in ("alice", "bob", "carol")],
                "escalation_policies": [
                    {
                        "name": "team",
                        "repeat": 1,
                        "steps": [
                            {"notify": ["user:alice"]},
                            {"delay": "5m", "notify": ["user:bob"]},
                        ],
                    }
                ],
            }
        )
    )
    reassigned_at = START + timedelta(minutes=5, seconds=30)  # the next pass is due at 10:06
    reassign = ReassignIncident(
        command_id="r1", incident_id=INCIDENT, actor="x", assignee="carol", issued_at=reassigned_at
    )
    log: Log = [(opened(START), START)]
    log += [
        tick(at)
        for at in every_tick(
            START + timedelta(minutes=1), START + timedelta(minutes=5), timedelta(minutes=1)
        )
    ]
    log += [(reassign, reassigned_at)]
    log += [
        tick(at)
        for at in every_tick(reassigned_at, START + timedelta(minutes=8), timedelta(seconds=30))
    ]

    paged = _paged(log, rules)

    assert paged[:3] == [
        ("alice", START),
        ("bob", START + timedelta(minutes=5)),
        ("carol", reassigned_at),
    ]
    # The second pass a minute after the reassignment, not at once.
    assert paged[3] == ("alice", reassigned_at + timedelta(minutes=1))
