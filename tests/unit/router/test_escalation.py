"""The router engine: escalation timelines under a manual clock, ack, fallback, nobody paged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.router.config import RouterConfig
from services.router.directory import ConfigDirectory
from services.router.domain.engine import next_due, step
from services.router.domain.state import RouterState
from shared.events import (
    EscalationStarted,
    EscalationStepFired,
    IncidentAcknowledged,
    IncidentOpened,
    IncidentResolved,
    NobodyPaged,
    NotificationFailed,
    NotificationRequested,
    NotificationSent,
    TickOccurred,
)
from tests.support.incident_events import incident_opened, node_down

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)

CONFIG = RouterConfig.model_validate(
    {
        "channels": {"ops-webhook": {"type": "webhook", "url": "http://127.0.0.1:9/hook"}},
        "users": [
            {
                "name": "alice",
                "contacts": [{"type": "console"}, {"type": "email", "address": "a@x"}],
            },
            {"name": "bob", "contacts": [{"type": "console"}]},
        ],
        "escalation_policies": [
            {
                "name": "payments",
                "repeat": 1,
                "steps": [
                    {"delay": "0s", "notify": ["user:alice", "channel:ops-webhook"]},
                    {"delay": "10m", "notify": ["user:bob"]},
                ],
            }
        ],
        "default_receiver": "ops-webhook",
    }
)
DIRECTORY = ConfigDirectory(CONFIG)


def opened(receivers: list[str], incident_id: str = "INC-1") -> IncidentOpened:
    """NodeDown on payments-api opens `incident_id` at T0, notifying after a 30s group wait."""
    return incident_opened(
        incident_id,
        T0,
        node_down("f1", T0, service="payments-api"),
        title="NodeDown on payments-api",
        receivers=receivers,
        group_key="{}:{}",
        notify_after=T0 + timedelta(seconds=30),
        reason="test",
    )


def tick(state: RouterState, at: datetime) -> list[object]:
    return list(step(state, TickOccurred(at=at), at, DIRECTORY))


def pages(events: list[object]) -> list[tuple[str, str]]:
    return [(e.target, e.channel) for e in events if isinstance(e, NotificationRequested)]


def test_first_step_pages_after_group_wait_then_escalates_on_time() -> None:
    state = RouterState()
    [started] = step(state, opened(["payments"]), T0, DIRECTORY)
    assert isinstance(started, EscalationStarted)
    assert tick(state, T0 + timedelta(seconds=29)) == []
    first = tick(state, T0 + timedelta(seconds=30))
    assert pages(first) == [
        ("alice", "user/alice/0"),
        ("alice", "user/alice/1"),
        ("ops-webhook", "ops-webhook"),
    ]
    assert next_due(state) == T0 + timedelta(seconds=30, minutes=10)
    assert tick(state, T0 + timedelta(minutes=10)) == []
    second = tick(state, T0 + timedelta(seconds=30, minutes=10))
    assert pages(second) == [("bob", "user/bob/0")]


def test_policy_repeats_then_stops() -> None:
    state = RouterState()
    step(state, opened(["payments"]), T0, DIRECTORY)
    at = T0 + timedelta(seconds=30)
    fired = []
    for _ in range(6):
        due = next_due(state)
        if due is None:
            break
        at = max(at, due)
        fired += [e for e in tick(state, at) if isinstance(e, EscalationStepFired)]
    assert [(e.step, e.repeat) for e in fired] == [(0, 0), (1, 0), (0, 1), (1, 1)]
    assert next_due(state) is None


def test_acknowledge_stops_escalation() -> None:
    state = RouterState()
    step(state, opened(["payments"]), T0, DIRECTORY)
    tick(state, T0 + timedelta(seconds=30))
    step(state, IncidentAcknowledged(incident_id="INC-1", by="alice", at=T0), T0, DIRECTORY)
    assert next_due(state) is None
    assert tick(state, T0 + timedelta(hours=1)) == []


def test_resolved_incident_is_forgotten() -> None:
    state = RouterState()
    step(state, opened(["payments"]), T0, DIRECTORY)
    resolved = IncidentResolved(
        incident_id="INC-1", resolved_at=T0, rule="r", ruleset_version="v1", reason="done"
    )
    step(state, resolved, T0, DIRECTORY)
    assert state.escalations == {}


def failure_of(notification_id: str, channel: str = "ops-webhook") -> NotificationFailed:
    """The dispatcher gave up on the page: `channel` is the one it was requested on."""
    return NotificationFailed(
        notification_id=notification_id,
        incident_id="INC-1",
        channel=channel,
        attempts=4,
        reason="HTTP 500",
        failed_at=T0,
    )


def test_failed_delivery_falls_back_to_the_next_step_at_once() -> None:
    state = RouterState()
    step(state, opened(["payments"]), T0, DIRECTORY)
    first = tick(state, T0 + timedelta(seconds=30))
    [webhook_page] = [
        e for e in first if isinstance(e, NotificationRequested) and e.channel == "ops-webhook"
    ]
    failed = failure_of(webhook_page.notification_id)
    fallback = step(state, failed, T0 + timedelta(minutes=1), DIRECTORY)
    assert pages(fallback) == [("bob", "user/bob/0")]


def alice_pages(state: RouterState) -> dict[str, str]:
    """The first step fired: alice's page ids by channel (console, then email)."""
    step(state, opened(["payments"]), T0, DIRECTORY)
    first = tick(state, T0 + timedelta(seconds=30))
    return {
        e.channel: e.notification_id
        for e in first
        if isinstance(e, NotificationRequested) and e.target == "alice"
    }


def delivered(notification_id: str) -> NotificationSent:
    return NotificationSent(
        notification_id=notification_id,
        incident_id="INC-1",
        channel="user/alice/0",
        attempts=1,
        sent_at=T0,
    )


def test_a_failed_contact_method_escalates_nothing_when_another_reached_the_person() -> None:
    state = RouterState()
    alice = alice_pages(state)
    step(state, delivered(alice["user/alice/0"]), T0 + timedelta(seconds=31), DIRECTORY)

    email = failure_of(alice["user/alice/1"], "user/alice/1")
    after = step(state, email, T0 + timedelta(minutes=1), DIRECTORY)

    assert pages(after) == []
    assert next_due(state) == T0 + timedelta(seconds=30, minutes=10)  # bob on time


def test_the_last_of_a_persons_pages_to_fail_brings_the_next_step_forward() -> None:
    state = RouterState()
    alice = alice_pages(state)

    # the email fails while the console page is still on its way: wait for it
    email = failure_of(alice["user/alice/1"], "user/alice/1")
    early = step(state, email, T0 + timedelta(minutes=1), DIRECTORY)
    # then that fails too: alice was reached on no way at all
    console = failure_of(alice["user/alice/0"], "user/alice/0")
    late = step(state, console, T0 + timedelta(minutes=2), DIRECTORY)

    assert pages(early) == []
    assert pages(late) == [("bob", "user/bob/0")]
    [fired] = [e for e in late if isinstance(e, EscalationStepFired)]
    assert fired.reason.endswith("no other page reached alice")


def test_failure_of_a_page_this_escalation_never_requested_escalates_nothing() -> None:
    state = RouterState()
    step(state, opened(["payments"]), T0, DIRECTORY)
    tick(state, T0 + timedelta(seconds=30))
    assert step(state, failure_of("from-an-older-generation"), T0, DIRECTORY) == []


def test_page_ids_are_deterministic_across_replays() -> None:
    runs = []
    for _ in range(2):
        state = RouterState()
        step(state, opened(["payments"]), T0, DIRECTORY)
        runs.append(
            [
                e.notification_id
                for e in tick(state, T0 + timedelta(seconds=30))
                if isinstance(e, NotificationRequested)
            ]
        )
    assert runs[0] == runs[1] and len(set(runs[0])) == 3


def test_receiver_naming_a_channel_pages_it_directly() -> None:
    state = RouterState()
    step(state, opened(["ops-webhook"]), T0, DIRECTORY)
    assert pages(tick(state, T0 + timedelta(seconds=30))) == [("ops-webhook", "ops-webhook")]


def test_unknown_receiver_falls_back_to_the_default() -> None:
    state = RouterState()
    [started] = step(state, opened(["nobody-knows"]), T0, DIRECTORY)
    assert isinstance(started, EscalationStarted) and "default" in started.reason
    assert pages(tick(state, T0 + timedelta(seconds=30))) == [("ops-webhook", "ops-webhook")]


def test_routing_to_nobody_is_reported() -> None:
    directory = ConfigDirectory(RouterConfig())
    state = RouterState()
    decided = step(state, opened(["ghost"]), T0, directory)
    assert [type(e) for e in decided] == [EscalationStarted, NobodyPaged]
