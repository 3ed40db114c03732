"""`tocsin route test` plans the per-person low-urgency pages the engine sends, at the same
instants: whoever is awake when the step fires, the others at their own working hours."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.cli.route_timeline import plan_escalation
from tests.unit.router.urgency_world import directory, utc

RULES = directory()
LOW = {"alertname": "Alerta", "service": "billing", "severity": "warning"}


@pytest.mark.parametrize(
    ("due", "sends"),
    [
        # Friday night before Paris springs forward: bob at his Monday 09:00 (00:00 UTC),
        # alice at hers, 09:00 CEST = 07:00 UTC; step 2 at carol's 09:00 EDT.
        (
            "2026-03-27T20:00",
            [
                [
                    ("alice", "2026-03-30T07:00"),
                    ("bob", "2026-03-30T00:00"),
                    ("hook", "2026-03-30T00:00"),
                ],
                [("carol", "2026-03-30T13:00")],
            ],
        ),
        # Tuesday 02:00 in Paris: bob and the channel at once, alice at her 09:00.
        (
            "2026-11-24T01:00",
            [
                [
                    ("alice", "2026-11-24T08:00"),
                    ("bob", "2026-11-24T01:00"),
                    ("hook", "2026-11-24T01:00"),
                ],
                [("carol", "2026-11-24T14:00")],
            ],
        ),
    ],
)
def test_dry_run_shows_when_each_person_gets_a_low_urgency_page(
    due: str, sends: list[list[tuple[str, str]]]
) -> None:
    policy = RULES.policy_for("team")
    assert policy is not None

    plans = plan_escalation(RULES, [policy], LOW, utc(due))

    planned = [
        [(page.recipient, page.sends_at) for target in plan.targets for page in target.pages]
        for plan in plans
    ]
    assert planned == [[(who, utc(at)) for who, at in step] for step in sends]
    first, second = plans
    assert first.done_at is not None
    assert second.due_at == first.done_at + timedelta(minutes=30)
