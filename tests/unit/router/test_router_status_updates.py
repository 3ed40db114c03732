"""Channels that were paged about an incident are told when it is acknowledged or resolved;
people are not (a page wakes someone, an update must not)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.router.config import RouterConfig
from services.router.directory import ConfigDirectory
from services.router.domain.engine import step
from services.router.domain.state import RouterState
from shared.events import (
    AcknowledgeIncident,
    IncidentResolved,
    NotificationFailed,
    NotificationRequested,
    TickOccurred,
)
from shared.events.base import Event
from tests.support.incident_events import incident_opened, node_down

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
PAGED_AT = T0 + timedelta(seconds=30)


def _directory(slack_updates: list[str] | None = None) -> ConfigDirectory:
    slack: dict[str, object] = {"type": "slack", "url": "http://127.0.0.1:9/slack"}
    if slack_updates is not None:
        slack["updates"] = slack_updates
    return ConfigDirectory(
        RouterConfig.model_validate(
            {
                "channels": {
                    "ops-webhook": {"type": "webhook", "url": "http://127.0.0.1:9/hook"},
                    "ops-slack": slack,
                },
                "users": [{"name": "alice", "contacts": [{"type": "console"}]}],
                "escalation_policies": [
                    {
                        "name": "payments",
                        "steps": [
                            {"delay": "0s", "notify": ["user:alice", "channel:ops-webhook"]},
                            {"delay": "10m", "notify": ["channel:ops-slack"]},
                        ],
                    }
                ],
                "default_receiver": "payments",
            }
        )
    )


def _paged(directory: ConfigDirectory, *, steps: int = 2) -> RouterState:
    state = RouterState()
    opened = incident_opened(
        "INC-1",
        T0,
        node_down("f1", T0, service="payments-api"),
        title="NodeDown on payments-api",
        receivers=["payments"],
        group_key="{}:{}",
        notify_after=PAGED_AT,
        reason="test",
    )
    step(state, opened, T0, directory)
    for at in [PAGED_AT, PAGED_AT + timedelta(minutes=10)][:steps]:
        step(state, TickOccurred(at=at), at, directory)
    return state


def _updates(events: list[Event]) -> list[tuple[str, str, str]]:
    return [
        (e.target, str(e.page["status"]), str(e.page["status_by"]))
        for e in events
        if isinstance(e, NotificationRequested) and e.page["status"] != "triggered"
    ]


def _acknowledge(state: RouterState, directory: ConfigDirectory, at: datetime) -> list[Event]:
    command = AcknowledgeIncident(
        incident_id="INC-1", actor="alice", issued_at=at, command_id=f"ack-{at.isoformat()}"
    )
    return step(state, command, at, directory)


def _resolved(by: str | None) -> IncidentResolved:
    return IncidentResolved(
        incident_id="INC-1",
        resolved_at=T0 + timedelta(hours=1),
        by=by,
        rule="resolve_policy",
        ruleset_version="v1",
        reason="all alerts resolved",
    )


def test_acknowledging_tells_each_paged_channel_and_no_person() -> None:
    directory = _directory()
    state = _paged(directory)

    decided = _acknowledge(state, directory, T0 + timedelta(minutes=12))

    assert _updates(decided) == [
        ("ops-webhook", "acknowledged", "alice"),
        ("ops-slack", "acknowledged", "alice"),
    ]


def test_resolving_tells_the_channels_paged_so_far_once() -> None:
    directory = _directory()
    state = _paged(directory, steps=1)  # the Slack step never came

    decided = step(state, _resolved(None), T0 + timedelta(hours=1), directory)
    again = step(state, _resolved(None), T0 + timedelta(hours=1), directory)

    assert _updates(decided) == [("ops-webhook", "resolved", "")]
    assert again == []


def test_update_ids_are_deterministic_and_distinct_from_pages() -> None:
    directory = _directory()
    first, second = _paged(directory), _paged(directory)
    at = T0 + timedelta(minutes=12)

    ids = [
        [
            e.notification_id
            for e in _acknowledge(s, directory, at)
            if isinstance(e, NotificationRequested)
        ]
        for s in (first, second)
    ]

    assert len(ids[0]) == 2 and ids[0] == ids[1]
    assert not set(ids[0]) & first.escalations["INC-1"].requested


def test_a_channel_hears_only_of_the_changes_it_asks_for() -> None:
    directory = _directory(slack_updates=["resolved"])
    state = _paged(directory)

    acknowledged = _acknowledge(state, directory, T0 + timedelta(minutes=12))
    resolved = step(state, _resolved("alice"), T0 + timedelta(hours=1), directory)

    assert _updates(acknowledged) == [("ops-webhook", "acknowledged", "alice")]
    assert _updates(resolved) == [
        ("ops-webhook", "resolved", "alice"),
        ("ops-slack", "resolved", "alice"),
    ]


def test_an_incident_resolved_before_any_page_tells_nobody() -> None:
    directory = _directory()
    state = _paged(directory, steps=0)

    assert step(state, _resolved(None), T0 + timedelta(seconds=10), directory) == []


def test_a_failed_update_escalates_nothing() -> None:
    directory = _directory()
    state = _paged(directory, steps=1)
    at = T0 + timedelta(minutes=2)
    decided = _acknowledge(state, directory, at)
    [update] = [e for e in decided if isinstance(e, NotificationRequested)]

    failed = NotificationFailed(
        notification_id=update.notification_id,
        incident_id="INC-1",
        channel=update.channel,
        attempts=4,
        failed_at=at,
        reason="HTTP 500",
    )

    assert step(state, failed, at, directory) == []
