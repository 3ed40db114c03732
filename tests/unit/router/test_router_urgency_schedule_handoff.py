"""A low-urgency step that pages a schedule and a person: once the schedule's on-call person is
paged, a handoff while the other person waits for their working hours changes nothing — the
step does not wait again for the next person on call (engine and `route test` alike).

Wed 2026-01-14, 07:00 UTC: carol (Tokyo, 16:00) is on call on `apac-us` until its 07:30 UTC
handoff to alice (New York, 02:00); dave (Berlin, 08:00) starts work at 09:00 CET = 08:00 UTC.
"""

from __future__ import annotations

from datetime import timedelta

from services.cli.route_timeline import plan_escalation
from services.router.config import RouterConfig
from services.router.directory import ConfigDirectory
from services.router.schedule_lookup import on_call_lookup
from tests.unit.router.urgency_world import (
    fired,
    opened,
    pages,
    run,
    tick,
    utc,
)

CONSOLE = [{"type": "console"}]
CONFIG = RouterConfig.model_validate(
    {
        "channels": {"hook": {"type": "console"}},
        "users": [
            {"name": "carol", "time_zone": "Asia/Tokyo", "contacts": CONSOLE},
            {"name": "alice", "time_zone": "America/New_York", "contacts": CONSOLE},
            {"name": "dave", "time_zone": "Europe/Berlin", "contacts": CONSOLE},
        ],
        "schedules": [
            {
                "name": "apac-us",
                "time_zone": "UTC",
                "layers": [
                    {
                        "name": "daily",
                        "rotation": "daily",
                        "start": "2026-01-13T07:30",
                        "users": ["carol", "alice"],
                    }
                ],
            }
        ],
        "escalation_policies": [
            {
                "name": "team",
                "steps": [
                    {"notify": ["schedule:apac-us", "user:dave"]},
                    {"delay": "10m", "notify": ["channel:hook"]},
                ],
            }
        ],
        "urgency": {"default": "low"},
    }
)
RULES = ConfigDirectory(CONFIG, on_call_lookup(CONFIG))
START = utc("2026-01-14T07:00")


def test_a_handoff_after_the_schedule_was_paged_does_not_hold_the_step_again() -> None:
    # Given the incident opened at 07:00 and ticks every 5 minutes until 15:00
    log = [(opened(START), START)]
    log += [tick(START + timedelta(minutes=5 * n)) for n in range(1, 97)]

    decided = run(log, RULES)

    # Then carol is paged at once, dave at his 09:00 CET, alice never in this step,
    # and step 2 fires ten minutes after dave's page
    paged = [
        (target, at)
        for events, (_, at) in zip(decided, log, strict=True)
        for target in pages(events)
    ]
    assert paged[:2] == [("carol", START), ("dave", utc("2026-01-14T08:00"))]
    assert "alice" not in [target for target, _ in paged]
    steps = [step for events in decided for step in fired(events)]
    assert steps == [(0, utc("2026-01-14T08:00")), (1, utc("2026-01-14T08:10"))]


def test_route_test_plans_the_same_timeline() -> None:
    policy = RULES.policy_for("team")
    assert policy is not None

    plans = plan_escalation(RULES, [policy], {"alertname": "DiskFilling"}, START)

    first, second = plans[0], plans[1]
    sends = [(page.recipient, page.sends_at) for target in first.targets for page in target.pages]
    assert sends == [("carol", START), ("dave", utc("2026-01-14T08:00"))]
    assert second.due_at == utc("2026-01-14T08:10")


def test_a_step_waiting_for_a_handoff_that_brings_back_someone_paged_ends_at_the_handoff() -> None:
    # Thu 2026-03-26 13:05 UTC: alice (Berlin, at work) is paged; `eu` names carol (Tokyo,
    # asleep) until 17:00 CET = 16:00 UTC, when it goes back to alice: nobody new to page.
    config = RouterConfig.model_validate(
        {
            "users": [
                {"name": "alice", "time_zone": "Europe/Berlin", "contacts": CONSOLE},
                {"name": "carol", "time_zone": "Asia/Tokyo", "contacts": CONSOLE},
                {"name": "bob", "time_zone": "UTC", "contacts": CONSOLE},
            ],
            "schedules": [
                {
                    "name": "eu",
                    "time_zone": "Europe/Berlin",
                    "layers": [
                        {
                            "name": "base",
                            "rotation": "weekly",
                            "start": "2026-03-02T09:00",
                            "users": ["alice"],
                        },
                        {
                            "name": "day",
                            "rotation": "weekly",
                            "start": "2026-03-02T09:00",
                            "users": ["carol"],
                            "restrictions": [
                                {
                                    "weekdays": ["mon", "tue", "wed", "thu", "fri"],
                                    "start": "09:00",
                                    "end": "17:00",
                                }
                            ],
                        },
                    ],
                }
            ],
            "escalation_policies": [
                {
                    "name": "team",
                    "steps": [
                        {"notify": ["user:alice", "schedule:eu"]},
                        {"delay": "10m", "notify": ["user:bob"]},
                    ],
                }
            ],
            "urgency": {"default": "low"},
        }
    )
    rules = ConfigDirectory(config, on_call_lookup(config))
    start = utc("2026-03-26T13:05")
    log = [(opened(start), start)]
    log += [tick(start + timedelta(minutes=5 * n)) for n in range(1, 49)]
    handoff = utc("2026-03-26T16:00")

    steps = [step for events in run(log, rules) for step in fired(events)]
    policy = rules.policy_for("team")
    assert policy is not None
    plans = plan_escalation(rules, [policy], {"alertname": "DiskFilling"}, start)

    assert steps == [(0, handoff), (1, handoff + timedelta(minutes=10))]
    assert plans[0].done_at == handoff
    assert plans[1].due_at == handoff + timedelta(minutes=10)
