"""`tocsin_timers_overdue_seconds`: how long past due each owned partition's earliest timer is,
by the clock at scrape time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry

from shared.runtime.timer_metrics import HasTimers, OverdueTimersCollector, overdue_seconds

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


@dataclass
class Timers:
    due: datetime | None

    def next_due(self) -> datetime | None:
        return self.due


@dataclass
class Runner:
    group: str
    processors: dict[int, HasTimers] = field(default_factory=dict)


@pytest.mark.parametrize(
    ("due", "overdue"),
    [
        (None, 0.0),  # no timer
        (NOW + timedelta(minutes=5), 0.0),  # not due yet
        (NOW, 0.0),
        (NOW - timedelta(seconds=90), 90.0),
    ],
)
def test_a_partition_is_overdue_by_its_earliest_timers_lateness(
    due: datetime | None, overdue: float
) -> None:
    assert overdue_seconds({3: Timers(due)}, NOW) == {3: overdue}


def test_every_owned_partition_of_every_group_is_reported() -> None:
    router = Runner("tocsin-router", {0: Timers(NOW - timedelta(minutes=2)), 1: Timers(None)})
    correlator = Runner("tocsin-correlator", {2: Timers(NOW - timedelta(seconds=1))})
    registry = CollectorRegistry()
    registry.register(OverdueTimersCollector([router, correlator], lambda: NOW))

    def sample(group: str, partition: str) -> float | None:
        labels = {"group": group, "partition": partition}
        return registry.get_sample_value("tocsin_timers_overdue_seconds", labels)

    assert sample("tocsin-router", "0") == 120.0
    assert sample("tocsin-router", "1") == 0.0
    assert sample("tocsin-correlator", "2") == 1.0
    assert sample("tocsin-correlator", "0") is None  # not owned here
