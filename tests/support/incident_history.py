"""A history of the read model's three topics, in two parts: incidents opened, grouped, paged,
acknowledged by command and resolved, a silence, an event read before its incident opens, and
a record that does not decode. Every event has its own time, so timelines have one order.

`answers` is what the incidents and silences API would say about a projection.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from services.router.api.views import detail_json
from services.router.projection.model import IncidentProjection
from services.router.projection.query import IncidentFilter, select
from shared.alerts import Alert, Layer, Severity
from shared.events import (
    AcknowledgeIncident,
    AlertGrouped,
    IncidentAcknowledged,
    ResolveIncident,
    deterministic_id,
    encode_envelope,
    wrap,
)
from shared.events.base import Event
from shared.events.notifications import CommandApplied, CommandRejected
from shared.events.silences import SilenceCreated, SilenceExpired
from shared.log.port import Outgoing
from shared.topics import ALERTS, INCIDENTS, NOTIFICATIONS
from tests.support.incident_events import (
    delivery_outcome,
    incident_opened,
    incident_resolved,
    page_requested,
    step_fired,
)

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


class History:
    """Records to append, each event one second after the one before."""

    def __init__(self, first_second: int = 0) -> None:
        self.records: list[Outgoing] = []
        self._second = first_second

    def at(self) -> datetime:
        self._second += 1
        return T0 + timedelta(seconds=self._second)

    def add(self, topic: str, key: str, event: Event, at: datetime) -> None:
        name = f"{topic}/{len(self.records)}/{self._second}"
        envelope = wrap(event, key=key, event_id=deterministic_id(name), occurred_at=at)
        self.records.append(Outgoing(topic, key, encode_envelope(envelope)))

    def opened(self, incident_id: str, region: str) -> None:
        at = self.at()
        alert = _alert(f"{incident_id}-first", "NodeDown", at)
        domain = f"region={region}"
        event = incident_opened(
            incident_id, at, alert, title=f"NodeDown in {region}", domain=domain
        )
        self.add(INCIDENTS, domain, event, at)

    def grouped(self, incident_id: str, fingerprint: str) -> None:
        at = self.at()
        event = AlertGrouped(
            incident_id=incident_id,
            alert=_alert(fingerprint, "DiskFull", at),
            decision="grouped",
            at=at,
            rule="route 0",
            ruleset_version="v1",
            reason="same group",
        )
        self.add(INCIDENTS, "region=eu", event, at)

    def paged(self, incident_id: str, notification_id: str, delivered: bool | None) -> None:
        at = self.at()
        self.add(NOTIFICATIONS, incident_id, page_requested(incident_id, notification_id, at), at)
        if delivered is not None:
            self.delivered(incident_id, notification_id, delivered)

    def delivered(self, incident_id: str, notification_id: str, sent: bool) -> None:
        at = self.at()
        outcome = delivery_outcome(incident_id, notification_id, at, sent=sent)
        self.add(NOTIFICATIONS, incident_id, outcome, at)
        self.add(INCIDENTS, "region=eu", outcome, at)  # the dispatcher's copy for the router

    def step_fired(self, incident_id: str) -> None:
        at = self.at()
        self.add(NOTIFICATIONS, incident_id, step_fired(incident_id, at), at)

    def acknowledged(self, incident_id: str, command_id: str) -> None:
        at = self.at()
        command = AcknowledgeIncident(
            command_id=command_id, incident_id=incident_id, actor="alice", issued_at=at
        )
        self.add(ALERTS, "region=eu", command, at)
        self.add(
            NOTIFICATIONS,
            incident_id,
            IncidentAcknowledged(incident_id=incident_id, by="alice", at=at),
            at,
        )
        applied = CommandApplied(
            command_id=command_id,
            incident_id=incident_id,
            command="acknowledge",
            actor="alice",
            at=at,
        )
        self.add(NOTIFICATIONS, incident_id, applied, at)

    def rejected(self, incident_id: str, command_id: str) -> None:
        at = self.at()
        rejected = CommandRejected(
            command_id=command_id,
            incident_id=incident_id,
            command="acknowledge",
            actor="bob",
            reason="already acknowledged",
            at=at,
        )
        self.add(NOTIFICATIONS, incident_id, rejected, at)

    def resolved(self, incident_id: str, by: str | None = None) -> None:
        at = self.at()
        if by is not None:
            command = ResolveIncident(
                command_id=f"resolve-{incident_id}", incident_id=incident_id, actor=by, issued_at=at
            )
            self.add(ALERTS, "region=eu", command, at)
        self.add(
            INCIDENTS, "region=eu", incident_resolved(incident_id, at, by=by, reason="resolved"), at
        )

    def silenced(self, silence_id: str) -> None:
        at = self.at()
        event = SilenceCreated(
            silence_id=silence_id,
            matchers=['service="billing"'],
            starts_at=at,
            ends_at=at + timedelta(hours=2),
            created_by="carol",
            comment="migration",
            created_at=at,
        )
        self.add(INCIDENTS, "region=eu", event, at)

    def silence_expired(self, silence_id: str) -> None:
        at = self.at()
        self.add(
            INCIDENTS, "region=eu", SilenceExpired(silence_id=silence_id, actor="carol", at=at), at
        )

    def garbage(self) -> None:
        self.records.append(Outgoing(INCIDENTS, "region=eu", b"not an envelope"))


def _alert(fingerprint: str, name: str, at: datetime) -> Alert:
    return Alert(
        fingerprint=fingerprint,
        status="firing",
        severity=Severity.CRITICAL,
        layer=Layer.INFRASTRUCTURE,
        service="billing",
        labels={"alertname": name},
        starts_at=at,
        summary=f"{name} on billing",
        source="alertmanager",
        integration="prom",
        received_at=at,
    )


def before_snapshot() -> list[Outgoing]:
    """Incidents 1 to 4 and what happened to them, a page step for incident 9 (not opened
    yet: it waits in the model), a silence, and a record that does not decode."""
    history = History()
    for number, region in enumerate(("eu", "us", "eu", "ap"), start=1):
        history.opened(f"INC-{number}", region)
    history.grouped("INC-1", "INC-1-disk")
    history.paged("INC-1", "n1", delivered=True)
    history.paged("INC-1", "n2", delivered=None)
    history.step_fired("INC-9")
    history.acknowledged("INC-2", "c1")
    history.resolved("INC-3")
    history.silenced("s-1")
    history.garbage()
    return history.records


def after_snapshot() -> list[Outgoing]:
    """Incident 9 opens (the waiting step joins it), incident 5 opens, the waiting page of
    incident 1 fails and it is resolved by a command, a command is rejected, the silence ends."""
    history = History(first_second=1_000)
    history.opened("INC-9", "us")
    history.opened("INC-5", "eu")
    history.delivered("INC-1", "n2", sent=False)
    history.resolved("INC-1", by="alice")
    history.rejected("INC-2", "c2")
    history.grouped("INC-4", "INC-4-disk")
    history.silence_expired("s-1")
    return history.records


def answers(projection: IncidentProjection) -> dict[str, Any]:
    """What the API answers from `projection`: the incident list (and one filtered list), each
    incident in full, and the silences."""
    everything = select(projection, IncidentFilter(), 500, None)
    triggered = select(projection, IncidentFilter(status="triggered"), 500, None)
    return {
        "total": everything.total,
        "incidents": [detail_json(view) for view in everything.incidents],
        "triggered": [view.incident_id for view in triggered.incidents],
        "silences": [asdict(view) for _, view in sorted(projection.silences.items())],
    }
