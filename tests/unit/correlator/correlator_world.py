"""Test support for the correlator: policies from YAML, alerts by labels, a partition to feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import yaml

from services.correlator.config import CorrelatorConfig
from services.correlator.domain.engine import catch_up, step
from services.correlator.domain.evolve import STATEFUL_INPUTS, evolve, evolve_input
from services.correlator.domain.rules import CorrelationPolicy
from services.correlator.domain.state import CorrelatorState
from services.correlator.grouping import build_policy
from shared.alerts import Alert, Layer, Severity
from shared.events.base import Event
from shared.events.inputs import AlertReceived, TickOccurred
from shared.fingerprint import label_fingerprint

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
DOMAIN = "region=eu-west"


def at(seconds: float = 0, *, minutes: float = 0) -> datetime:
    return T0 + timedelta(seconds=seconds, minutes=minutes)


def policy_from(text: str, version: str = "v1") -> CorrelationPolicy:
    return build_policy(CorrelatorConfig.model_validate(yaml.safe_load(text)), version)


def alert(
    alertname: str,
    *,
    starts_at: datetime = T0,
    status: str = "firing",
    severity: str = "warning",
    layer: str = "infrastructure",
    ends_at: datetime | None = None,
    alert_service: str | None = None,
    **labels: str,
) -> AlertReceived:
    all_labels = {"alertname": alertname, "severity": severity, **labels}
    return AlertReceived(
        alert=Alert(
            fingerprint=label_fingerprint(all_labels),
            status=status,  # type: ignore[arg-type]
            severity=Severity(severity),
            layer=Layer(layer),
            service=alert_service,
            labels=all_labels,
            starts_at=starts_at,
            ends_at=ends_at,
            source="alertmanager",
            integration="test",
            received_at=starts_at,
        )
    )


def resolved(received: AlertReceived) -> AlertReceived:
    return AlertReceived(alert=received.alert.model_copy(update={"status": "resolved"}))


def tick(now: datetime) -> TickOccurred:
    return TickOccurred(at=now)


class Partition:
    """One partition's state fed inputs in order; remembers every input and decision."""

    def __init__(self, policy: CorrelationPolicy, domain: str = DOMAIN) -> None:
        self.policy = policy
        self.domain = domain
        self.state = CorrelatorState()
        self.history: list[tuple[Event, datetime, str, CorrelationPolicy, list[Event]]] = []
        self.decided: list[Event] = []

    def feed(self, event: Event, now: datetime, domain: str | None = None) -> list[Event]:
        """`step`, with what timers due by `now` decide first recorded as a tick's (as the
        processor keys them), so that `folded` folds them before the input."""
        key = domain or self.domain
        caught = catch_up(self.state, now, self.policy)
        if caught:
            self.history.append((tick(now), now, "tick", self.policy, caught))
        decided = step(self.state, event, now, self.policy, key)
        self.history.append((event, now, key, self.policy, decided))
        self.decided += caught + decided
        return caught + decided

    def folded(self) -> CorrelatorState:
        """The state rebuilt by folding the inputs and their decisions, deciding nothing."""
        state = CorrelatorState()
        for event, now, key, policy, decided in self.history:
            state.clock = now if state.clock is None or now > state.clock else state.clock
            if isinstance(event, STATEFUL_INPUTS):
                evolve_input(state, event, policy, key)
            for decision in decided:
                evolve(state, decision, policy)
        return state
