"""`tocsin_readmodel_incidents_dropped_total`: resolved incidents the read model dropped past
the incident history (`TOCSIN_INCIDENT_HISTORY`), counted by the fold, so a snapshot carries
it over a restart and a rebuild counts again what it drops."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector


class ReadModelCollector(Collector):
    def __init__(self, dropped: Callable[[], int | None]) -> None:
        """`dropped`: the read model's count, or None while it is being rebuilt (the counter
        then has no sample rather than a partial count)."""
        self._dropped = dropped

    def collect(self) -> Iterator[CounterMetricFamily]:
        counter = CounterMetricFamily(
            "tocsin_readmodel_incidents_dropped",
            "Resolved incidents dropped from the read model past the incident history",
        )
        dropped = self._dropped()
        if dropped is not None:
            counter.add_metric([], dropped)
        yield counter
