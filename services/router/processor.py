"""The router's partition processor: run the escalation engine over incident events."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from services.router.domain.engine import next_due, step
from services.router.domain.policy import RoutingDirectory
from services.router.domain.state import RouterState
from services.router.metrics import Milestones, RouterMetrics
from shared.events import (
    AnyEvent,
    Envelope,
    NotificationRequested,
    deterministic_id,
    encode_envelope,
    wrap,
)
from shared.log.port import Outgoing
from shared.runtime.processor import PartitionProcessor
from shared.topics import NOTIFICATIONS


class RouterProcessor(PartitionProcessor):
    def __init__(self, partition: int, directory: RoutingDirectory, metrics: RouterMetrics) -> None:
        super().__init__(partition)
        self.state = RouterState()
        self._directory = directory
        self._metrics = metrics

    def apply(self, envelope: Envelope, event: AnyEvent, *, live: bool) -> list[Outgoing]:
        before = self._milestones(event) if live else None
        decided = step(self.state, event, envelope.occurred_at, self._directory)
        if live:
            self._metrics.observe(decided)
            self._metrics.observe_timings(before, event, decided)
        outgoing: list[Outgoing] = []
        for index, decision in enumerate(decided):
            incident_id = str(getattr(decision, "incident_id", envelope.key))
            if isinstance(decision, NotificationRequested):
                event_id = deterministic_id("notification", decision.notification_id)
            else:
                event_id = deterministic_id(envelope.event_id, index)
            at = self.state.clock or envelope.occurred_at
            out = wrap(decision, key=incident_id, event_id=event_id, occurred_at=at)
            outgoing.append(Outgoing(NOTIFICATIONS, incident_id, encode_envelope(out)))
        return outgoing

    def state_types(self) -> tuple[type, ...]:
        return (RouterState,)

    def state_to_snapshot(self) -> object:
        return self.state

    def restore_state(self, state: object) -> None:
        self.state = cast(RouterState, state)

    def _milestones(self, event: AnyEvent) -> Milestones | None:
        escalation = self.state.escalations.get(str(getattr(event, "incident_id", "")))
        return Milestones.of(escalation) if escalation is not None else None

    def next_due(self) -> datetime | None:
        return next_due(self.state)
