"""`tocsin_timers_overdue_seconds{group, partition}`: how long past due the earliest timer of
each partition a consumer group of this process owns is, read at scrape time.

Timers (group waits, resolve timeouts, escalation steps) fire when a tick the runner writes
comes back through the log. If ticks stop flowing (appends refused, a loop stuck), due steps
silently wait; this gauge shows it. Normally it stays within the tick interval (seconds).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


class HasTimers(Protocol):
    def next_due(self) -> datetime | None: ...


class OwnsPartitions(Protocol):
    @property
    def group(self) -> str: ...

    @property
    def processors(self) -> Mapping[int, HasTimers]: ...


def overdue_seconds(processors: Mapping[int, HasTimers], now: datetime) -> dict[int, float]:
    """Per partition: seconds its earliest timer is past due at `now` (0 if none is due)."""
    overdue: dict[int, float] = {}
    for partition, processor in processors.items():
        due = processor.next_due()
        overdue[partition] = 0.0 if due is None else max(0.0, (now - due).total_seconds())
    return overdue


class OverdueTimersCollector(Collector):
    def __init__(self, runners: Sequence[OwnsPartitions], clock: Callable[[], datetime]) -> None:
        self._runners = tuple(runners)
        self._clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "tocsin_timers_overdue_seconds",
            "How long past due the earliest timer of each owned partition is (0: none due)",
            labels=["group", "partition"],
        )
        now = self._clock()
        for runner in self._runners:
            for partition, seconds in sorted(overdue_seconds(runner.processors, now).items()):
                gauge.add_metric([runner.group, str(partition)], seconds)
        yield gauge
