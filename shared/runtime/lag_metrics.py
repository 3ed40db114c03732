"""`tocsin_consumer_lag_records{group, topic, partition}`: records on the log each consumer group
of this process has not handled yet, read at scrape time (`kafka_consumergroup_lag`'s meaning),
beside the correlator's lag in time (`tocsin_correlator_input_age_seconds`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from shared.runtime.runner import PartitionedRunner


class ConsumerLagCollector(Collector):
    def __init__(self, runners: Sequence[PartitionedRunner]) -> None:
        self._runners = tuple(runners)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "tocsin_consumer_lag_records",
            "Records on the log a consumer group of this process has not handled yet",
            labels=["group", "topic", "partition"],
        )
        for runner in self._runners:
            for partition, records in sorted(runner.lag().items()):
                gauge.add_metric([runner.group, runner.topic, str(partition)], records)
        yield gauge
