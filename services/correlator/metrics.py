"""The correlator's metrics bundle."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from services.correlator.domain.state import CorrelatorState
from shared.events.base import Event
from shared.events.incidents import AlertGrouped

# Decisions take microseconds; the shared latency buckets start at half a millisecond.
DECIDE_BUCKETS = (1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 1e-2, 0.1, 1.0)
_KINDS = {
    "IncidentOpened": "opened",
    "AlertResolved": "alert_resolved",
    "IncidentResolved": "incident_resolved",
    "AlertHeld": "held",
    "AlertHoldEnded": "hold_ended",
    "InputDropped": "dropped",
    "IncidentPriorityChanged": "priority_changed",
    "IncidentProbableCauseChanged": "cause_changed",
    "IncidentFlapping": "flapping",
    "HeartbeatMissed": "heartbeat_missed",
    "IncidentAcknowledged": "acknowledged",
    "RulesetApplied": "ruleset_applied",
}


def decision_kind(event: Event) -> str:
    """A small fixed set: opened, grouped, deduplicated, inhibited, held, dropped..."""
    if isinstance(event, AlertGrouped):
        return event.decision
    name = type(event).__name__
    return _KINDS.get(name, name)


class CorrelatorMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.decisions = Counter(
            "tocsin_correlator_decisions_total",
            "Correlator decisions by kind (opened, grouped, deduplicated, inhibited, held...)",
            ["decision"],
            registry=registry,
        )
        self.decide_seconds = Histogram(
            "tocsin_correlator_decide_seconds",
            "Time to decide on one input and fold the decisions",
            buckets=DECIDE_BUCKETS,
            registry=registry,
        )
        self.open_incidents = Gauge(
            "tocsin_correlator_open_incidents",
            "Open incidents in the partitions this process owns (from state: right after restarts)",
            registry=registry,
        )
        self.open_alerts = Gauge(
            "tocsin_correlator_open_alerts",
            "Alerts attached to open incidents in the partitions this process owns",
            registry=registry,
        )
        self.input_age = Gauge(
            "tocsin_correlator_input_age_seconds",
            "Age of the last input handled live (wall clock minus its time): the consumer's lag",
            ["partition"],
            registry=registry,
        )

        # Children by decision kind: `labels()` validates and locks on every call.
        self._decisions_by_kind: dict[str, Counter] = {}

    def watch(self, states: Callable[[], Iterable[CorrelatorState]]) -> None:
        """Report open incidents and alerts from the current state of every owned partition."""
        self.open_incidents.set_function(lambda: sum(len(s.incidents) for s in states()))
        self.open_alerts.set_function(lambda: sum(len(s.alerts) for s in states()))

    def observe(self, decided: Sequence[Event], seconds: float) -> None:
        self.decide_seconds.observe(seconds)
        for event in decided:
            kind = decision_kind(event)
            counter = self._decisions_by_kind.get(kind)
            if counter is None:
                counter = self._decisions_by_kind[kind] = self.decisions.labels(decision=kind)
            counter.inc()

    def lag(self, partition: int, seconds: float) -> None:
        self.input_age.labels(partition=str(partition)).set(max(seconds, 0.0))
