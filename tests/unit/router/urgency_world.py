"""A team across three time zones, and the events the urgency tests feed the router.

Step 1 pages alice (Paris), bob (Tokyo, no DST) and the `hook` channel at once; step 2, 30
minutes later, pages carol (New York). Working hours are the default, Mon-Fri 09:00-18:00 on
each person's own clock. Warnings are low urgency, everything else high.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.router.config import RouterConfig
from services.router.directory import ConfigDirectory
from services.router.domain.engine import step
from services.router.domain.state import RouterState
from shared.alerts import Alert, Layer, Severity
from shared.events import (
    AcknowledgeIncident,
    AlertGrouped,
    AlertResolved,
    AnyEvent,
    EscalationStepFired,
    IncidentOpened,
    IncidentResolved,
    NotificationRequested,
    TickOccurred,
)
from shared.events.base import Event
from shared.events.notifications import EscalationHeld

INCIDENT = "INC-1"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def directory(**extra: object) -> ConfigDirectory:
    console = [{"type": "console"}]
    config = RouterConfig.model_validate(
        {
            "channels": {"hook": {"type": "console"}},
            "users": [
                {"name": "alice", "time_zone": "Europe/Paris", "contacts": console},
                {"name": "bob", "time_zone": "Asia/Tokyo", "contacts": console},
                {"name": "carol", "time_zone": "America/New_York", "contacts": console},
            ],
            "escalation_policies": [
                {
                    "name": "team",
                    "steps": [
                        {"notify": ["user:alice", "user:bob", "channel:hook"]},
                        {"delay": "30m", "notify": ["user:carol"]},
                    ],
                }
            ],
            "urgency": {"rules": [{"matchers": ['severity="warning"'], "urgency": "low"}]},
            **extra,
        }
    )
    return ConfigDirectory(config)


def alert(fingerprint: str, severity: str, at: datetime, service: str = "billing") -> Alert:
    return Alert(
        fingerprint=fingerprint,
        status="firing",
        severity=Severity(severity),
        layer=Layer.APPLICATION,
        service=service,
        labels={"alertname": f"Alert{fingerprint}", "service": service, "severity": severity},
        starts_at=at,
        source="canonical",
        integration="t",
        received_at=at,
    )


def opened(at: datetime, severity: str = "warning") -> IncidentOpened:
    """An incident whose first step is due at once (no group wait)."""
    return IncidentOpened(
        incident_id=INCIDENT,
        domain="d",
        title="trouble on billing",
        priority="P3",
        receivers=["team"],
        group_key="{}:{}",
        opened_at=at,
        notify_after=at,
        alert=alert("a", severity, at),
        rule="route 0",
        ruleset_version="v1",
        reason="test",
    )


def joined(
    fingerprint: str, severity: str, at: datetime, decision: str = "grouped"
) -> AlertGrouped:
    return AlertGrouped.model_validate(
        {
            "incident_id": INCIDENT,
            "alert": alert(fingerprint, severity, at, service="search"),
            "decision": decision,
            "at": at,
            "rule": "route 0",
            "ruleset_version": "v1",
            "reason": "test",
        }
    )


def acknowledged(at: datetime) -> AcknowledgeIncident:
    return AcknowledgeIncident(command_id="c1", incident_id=INCIDENT, actor="bob", issued_at=at)


def resolved(at: datetime) -> IncidentResolved:
    return IncidentResolved(
        incident_id=INCIDENT, resolved_at=at, rule="r", ruleset_version="v1", reason="test"
    )


def alert_resolved(fingerprint: str, at: datetime) -> tuple[AnyEvent, datetime]:
    """The correlator saying one alert of the incident stopped firing, as logged at `at`."""
    gone = AlertResolved(
        incident_id=INCIDENT,
        fingerprint=fingerprint,
        at=at,
        rule="r",
        ruleset_version="v1",
        reason="test",
    )
    return gone, at


def tick(at: datetime) -> tuple[AnyEvent, datetime]:
    return TickOccurred(at=at), at


def run(log: list[tuple[AnyEvent, datetime]], rules: ConfigDirectory) -> list[list[Event]]:
    """Feed `log` to a fresh router; what it decided on each input."""
    state = RouterState()
    return [step(state, event, at, rules) for event, at in log]


def pages(events: list[Event]) -> list[str]:
    return [e.target for e in events if isinstance(e, NotificationRequested)]


def holds(events: list[Event]) -> list[tuple[datetime, str]]:
    return [(e.until, e.reason) for e in events if isinstance(e, EscalationHeld)]


def fired(events: list[Event]) -> list[tuple[int, datetime]]:
    return [(e.step, e.at) for e in events if isinstance(e, EscalationStepFired)]


def every_tick(start: datetime, end: datetime, every: timedelta) -> list[datetime]:
    """Ticks from `start` to `end` inclusive: more than the runner would write, to show extra
    ticks change nothing."""
    count = int((end - start) / every)
    return [start + every * index for index in range(count + 1)]
