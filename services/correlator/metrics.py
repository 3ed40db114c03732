"""The correlator's metrics bundle."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge

from shared.events import IncidentOpened, IncidentResolved
from shared.events.base import Event


class CorrelatorMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.decisions = Counter(
            "tocsin_correlator_decisions_total",
            "Correlator decisions by kind (opened, grouped, deduplicated, resolved...)",
            ["decision"],
            registry=registry,
        )
        self.open_incidents = Gauge(
            "tocsin_correlator_open_incidents", "Open incidents in this process", registry=registry
        )

    def observe(self, decided: Sequence[Event]) -> None:
        for event in decided:
            kind = getattr(event, "decision", None) or type(event).__name__
            self.decisions.labels(decision=str(kind)).inc()
            if isinstance(event, IncidentOpened):
                self.open_incidents.inc()
            elif isinstance(event, IncidentResolved):
                self.open_incidents.dec()
