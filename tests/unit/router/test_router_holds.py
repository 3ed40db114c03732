"""Steps held by silences and by low urgency outside working hours; no group wait pages at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.router.config import RouterConfig
from services.router.directory import ConfigDirectory
from services.router.domain.engine import next_due, step
from services.router.domain.state import RouterState
from shared.alerts import Alert, Layer, Severity
from shared.events import IncidentOpened, NotificationRequested, TickOccurred
from shared.events.notifications import EscalationHeld

# A Tuesday, 22:00 in Berlin.
NIGHT = datetime(2026, 11, 24, 21, 0, tzinfo=UTC)


def directory(**extra: object) -> ConfigDirectory:
    config = RouterConfig.model_validate(
        {
            "users": [
                {"name": "alice", "time_zone": "Europe/Berlin", "contacts": [{"type": "console"}]}
            ],
            "escalation_policies": [{"name": "team", "steps": [{"notify": ["user:alice"]}]}],
            **extra,
        }
    )
    return ConfigDirectory(config)


def opened(at: datetime, wait: timedelta, severity: str = "critical") -> IncidentOpened:
    labels = {"alertname": "DiskFull", "service": "billing", "severity": severity}
    alert = Alert(
        fingerprint="f",
        status="firing",
        severity=Severity(severity),
        layer=Layer.INFRASTRUCTURE,
        labels=labels,
        starts_at=at,
        source="canonical",
        integration="t",
        received_at=at,
    )
    return IncidentOpened(
        incident_id="INC-1",
        domain="d",
        title="DiskFull on billing",
        priority="P1",
        receivers=["team"],
        group_key="{}:{}",
        opened_at=at,
        notify_after=at + wait,
        alert=alert,
        rule="route 0",
        ruleset_version="v1",
        reason="test",
    )


def pages(events: list[object]) -> list[str]:
    return [e.target for e in events if isinstance(e, NotificationRequested)]


def test_without_group_wait_the_first_step_pages_when_the_incident_opens() -> None:
    state = RouterState()
    decided = step(state, opened(NIGHT, timedelta(0)), NIGHT, directory())
    assert pages(decided) == ["alice"]


def test_silence_holds_the_step_until_it_ends_then_pages() -> None:
    silence = {
        "matchers": ['service="billing"'],
        "starts_at": "2026-11-24T20:00:00+00:00",
        "ends_at": "2026-11-24T23:00:00+00:00",
        "created_by": "ops",
        "comment": "maintenance",
    }
    rules = directory(silences=[silence])
    state = RouterState()
    [_, held] = step(state, opened(NIGHT, timedelta(0)), NIGHT, rules)
    assert isinstance(held, EscalationHeld) and "maintenance" in held.reason
    assert next_due(state) == held.until > datetime(2026, 11, 24, 23, 0, tzinfo=UTC)
    later = held.until
    assert pages(step(state, TickOccurred(at=later), later, rules)) == ["alice"]


def test_low_urgency_at_night_waits_for_working_hours_in_the_persons_zone() -> None:
    urgency = {"rules": [{"matchers": ['severity="warning"'], "urgency": "low"}]}
    rules = directory(urgency=urgency)
    state = RouterState()
    [_, held] = step(state, opened(NIGHT, timedelta(0), "warning"), NIGHT, rules)
    morning = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
    assert isinstance(held, EscalationHeld) and held.until == morning
    assert pages(step(state, TickOccurred(at=morning), morning, rules)) == ["alice"]


def test_high_urgency_pages_at_night() -> None:
    urgency = {"rules": [{"matchers": ['severity="warning"'], "urgency": "low"}]}
    decided = step(RouterState(), opened(NIGHT, timedelta(0)), NIGHT, directory(urgency=urgency))
    assert pages(decided) == ["alice"]
