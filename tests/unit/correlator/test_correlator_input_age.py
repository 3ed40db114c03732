"""`tocsin_correlator_input_age_seconds{partition}`: how old the input the correlator is handling
is, read at scrape time; 0 once a partition has nothing left to read, however old the last
input it handled was."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

from prometheus_client import CollectorRegistry

from services.correlator.config import CorrelatorConfig
from services.correlator.metrics import CorrelatorMetrics, InputsSeen, input_age_seconds
from services.correlator.processor import CorrelatorProcessor
from services.correlator.service import correlator_runner
from shared.events import deterministic_id, encode_envelope, unwrap, wrap
from shared.log.embedded import EmbeddedLog
from shared.log.port import Outgoing
from shared.topics import ALERTS, INCIDENTS
from tests.unit.correlator.correlator_world import DOMAIN, alert, at, policy_from

NOW = at(100)
AGE = "tocsin_correlator_input_age_seconds"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def handled_live(processor: CorrelatorProcessor, occurred_at: datetime) -> None:
    received = wrap(
        alert("Disk"), key=DOMAIN, event_id=deterministic_id("age", 1), occurred_at=occurred_at
    )
    processor.apply(received, unwrap(received), live=True)


def age(registry: CollectorRegistry, partition: int) -> float | None:
    return registry.get_sample_value(AGE, {"partition": str(partition)})


def test_a_partition_that_caught_up_after_an_old_input_reads_zero() -> None:
    registry, clock = CollectorRegistry(), Clock(NOW)
    metrics = CorrelatorMetrics(registry)
    processor = CorrelatorProcessor(0, policy_from("route: {receiver: oncall}\n"), metrics)
    lag = {0: 3}

    def seen() -> InputsSeen:
        last = processor.last_input_at
        return InputsSeen(dict(lag), {} if last is None else {0: last})

    metrics.watch_inputs(seen, clock)
    handled_live(processor, NOW - timedelta(seconds=70))
    assert age(registry, 0) == 70.0  # records wait: the age of the one being handled

    lag[0] = 0
    assert age(registry, 0) == 0.0
    clock.now = NOW + timedelta(minutes=18)  # a quiet period: nothing new arrives
    assert age(registry, 0) == 0.0


def test_while_records_wait_the_age_grows_with_the_clock() -> None:
    seen = InputsSeen(lag={0: 5}, last_input_at={0: NOW - timedelta(seconds=70)})
    assert input_age_seconds(seen, NOW + timedelta(seconds=30)) == {0: 100.0}


def test_records_arriving_after_a_quiet_period_are_aged_from_when_it_caught_up() -> None:
    seen = InputsSeen(
        lag={0: 1, 1: 1},
        last_input_at={0: NOW - timedelta(hours=1), 1: NOW - timedelta(seconds=3)},
        caught_up_at={0: NOW - timedelta(seconds=2), 1: NOW - timedelta(seconds=50)},
    )
    assert input_age_seconds(seen, NOW) == {0: 2.0, 1: 3.0}


def test_a_partition_of_unknown_end_or_just_recovered_has_no_age() -> None:
    seen = InputsSeen(lag={1: 40}, last_input_at={0: NOW - timedelta(seconds=70)})
    assert input_age_seconds(seen, NOW) == {}  # 0: end not seen yet; 1: nothing handled yet


def test_the_family_is_exposed_before_any_partition_is_owned() -> None:
    registry = CollectorRegistry()
    CorrelatorMetrics(registry)
    assert AGE in {family.name for family in registry.collect()}


async def test_the_correlator_caught_up_on_an_input_handled_late_reads_zero(
    tmp_path: Path,
) -> None:
    """The audit's case: the correlator was down, then handled one alert 70 s old, and nothing
    has arrived since; the age must not stay at 70 s."""
    event_log = EmbeddedLog(tmp_path / "log.sqlite")
    await event_log.start()
    await event_log.ensure_topics({ALERTS: 1, INCIDENTS: 1})
    late = wrap(alert("Disk"), key=DOMAIN, event_id=deterministic_id("late", 1), occurred_at=at(30))
    await event_log.append([Outgoing(ALERTS, DOMAIN, encode_envelope(late), 0)])
    registry, clock = CollectorRegistry(), Clock(NOW)
    runner = correlator_runner(CorrelatorConfig(), "v1", event_log, registry, clock)
    stop = asyncio.Event()
    running = asyncio.create_task(runner.run(stop))
    try:
        for _ in range(1_500):
            processor = runner.processors.get(0)
            handled = isinstance(processor, CorrelatorProcessor) and processor.last_input_at
            if handled and runner.lag() == {0: 0} and 0 in runner.caught_up_at():
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the late alert was not handled within 30 s")
        clock.now = NOW + timedelta(minutes=18)
        assert age(registry, 0) == 0.0
    finally:
        stop.set()
        await running
        await event_log.close()
