"""The correlator's metrics bundle."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from services.correlator.domain.state import CorrelatorState
from shared.events.base import Event
from shared.events.incidents import AlertGrouped
from shared.runtime.config_rejections import config_rejections

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


def alert_decision(fingerprint: str, decided: Sequence[Event]) -> str:
    """What became of one alert received: the kind of the first decision about it (opened,
    grouped, deduplicated, inhibited, held, alert_resolved, dropped...); `none` if none was."""
    for event in decided:
        about = getattr(event, "alert", None)
        if getattr(about, "fingerprint", None) == fingerprint:
            return decision_kind(event)
        if getattr(event, "fingerprint", None) == fingerprint:
            return decision_kind(event)
    return "none"


def decision_kind(event: Event) -> str:
    """A small fixed set: opened, grouped, deduplicated, inhibited, held, dropped..."""
    if isinstance(event, AlertGrouped):
        return event.decision
    name = type(event).__name__
    return _KINDS.get(name, name)


@dataclass(frozen=True)
class InputsSeen:
    """What the runner and its processors know of each owned partition's input, at one time.

    `lag`: records not handled yet, for the partitions whose end is known; `last_input_at`:
    the time of the last input handled live; `caught_up_at`: when it last had none left."""

    lag: Mapping[int, int] = field(default_factory=dict)
    last_input_at: Mapping[int, datetime] = field(default_factory=dict)
    caught_up_at: Mapping[int, datetime] = field(default_factory=dict)


def input_age_seconds(seen: InputsSeen, now: datetime) -> dict[int, float]:
    """Per partition: how old the input being handled is at `now`; 0 with nothing left.

    Waiting records came after the last input handled, and after the partition last had
    nothing left: the later of the two bounds their age. A partition whose end is unknown,
    or with records left but neither time known yet (just recovered), has no value."""
    ages: dict[int, float] = {}
    for partition, left in seen.lag.items():
        known = [
            at
            for at in (seen.last_input_at.get(partition), seen.caught_up_at.get(partition))
            if at is not None
        ]
        if left == 0:
            ages[partition] = 0.0
        elif known:
            ages[partition] = max(0.0, (now - max(known)).total_seconds())
    return ages


class InputAgeCollector(Collector):
    """`tocsin_correlator_input_age_seconds{partition}`, read at scrape time."""

    def __init__(self) -> None:
        self._seen: Callable[[], InputsSeen] = InputsSeen
        self._clock: Callable[[], datetime] | None = None

    def watch(self, seen: Callable[[], InputsSeen], clock: Callable[[], datetime]) -> None:
        self._seen, self._clock = seen, clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "tocsin_correlator_input_age_seconds",
            "How old the input the correlator is handling is (0: nothing left to read)",
            labels=["partition"],
        )
        if self._clock is not None:
            for partition, age in sorted(input_age_seconds(self._seen(), self._clock()).items()):
                gauge.add_metric([str(partition)], age)
        yield gauge


class OpenStateCollector(Collector):
    """`tocsin_correlator_open_incidents` and `_open_alerts`, read from the partitions' states at
    scrape time. While a partition's state is rebuilt (a restart, a rebalance) the sums would
    be short, so the gauges have no sample then: a gap in the graph, not a false drop (the
    lag shows the rebuild, `tocsin_consumer_lag_records`)."""

    def __init__(self) -> None:
        self._states: Callable[[], Iterable[CorrelatorState]] = list
        self._rebuilding: Callable[[], frozenset[int]] = frozenset

    def watch(
        self,
        states: Callable[[], Iterable[CorrelatorState]],
        rebuilding: Callable[[], frozenset[int]],
    ) -> None:
        self._states, self._rebuilding = states, rebuilding

    def collect(self) -> Iterator[GaugeMetricFamily]:
        incidents = GaugeMetricFamily(
            "tocsin_correlator_open_incidents",
            "Open incidents in the partitions this process owns (from state: right after restarts;"
            " no sample while a partition's state is rebuilt)",
        )
        alerts = GaugeMetricFamily(
            "tocsin_correlator_open_alerts",
            "Alerts attached to open incidents in the partitions this process owns",
        )
        if not self._rebuilding():
            states = list(self._states())
            incidents.add_metric([], sum(len(state.incidents) for state in states))
            alerts.add_metric([], sum(len(state.alerts) for state in states))
        yield incidents
        yield alerts


class CorrelatorMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.decisions = Counter(
            "tocsin_correlator_decisions_total",
            "Correlator decisions by kind (opened, grouped, deduplicated, inhibited, held...)",
            ["decision"],
            registry=registry,
        )
        self.alerts_processed = Counter(
            "tocsin_correlator_alerts_processed_total",
            "Alerts received and processed, by what became of each (the first decision about"
            " it: opened, grouped, deduplicated, inhibited, held, alert_resolved, dropped...)",
            ["decision"],
            registry=registry,
        )
        self.decide_seconds = Histogram(
            "tocsin_correlator_decide_seconds",
            "Time to decide on one input and fold the decisions",
            buckets=DECIDE_BUCKETS,
            registry=registry,
        )
        self.config_rejected = config_rejections(registry).labels(reader="correlator")
        self.open_state = OpenStateCollector()
        registry.register(self.open_state)
        self.input_age = InputAgeCollector()
        registry.register(self.input_age)

        # Children by decision kind: `labels()` validates and locks on every call.
        self._decisions_by_kind: dict[str, Counter] = {}
        self._alerts_by_kind: dict[str, Counter] = {}

    def watch(
        self,
        states: Callable[[], Iterable[CorrelatorState]],
        rebuilding: Callable[[], frozenset[int]] = frozenset,
    ) -> None:
        """Report open incidents and alerts from the current state of every owned partition,
        unless one is being rebuilt (`rebuilding`)."""
        self.open_state.watch(states, rebuilding)

    def watch_inputs(self, seen: Callable[[], InputsSeen], clock: Callable[[], datetime]) -> None:
        """Report the input age of every owned partition from `seen` at scrape time."""
        self.input_age.watch(seen, clock)

    def observe_alert(self, fingerprint: str, decided: Sequence[Event]) -> None:
        """One alert received, by the decision about it."""
        kind = alert_decision(fingerprint, decided)
        counter = self._alerts_by_kind.get(kind)
        if counter is None:
            counter = self._alerts_by_kind[kind] = self.alerts_processed.labels(decision=kind)
        counter.inc()

    def observe(self, decided: Sequence[Event], seconds: float) -> None:
        self.decide_seconds.observe(seconds)
        for event in decided:
            kind = decision_kind(event)
            counter = self._decisions_by_kind.get(kind)
            if counter is None:
                counter = self._decisions_by_kind[kind] = self.decisions.labels(decision=kind)
            counter.inc()
