"""The ingest service's metrics bundle.

Label values come from small fixed sets: `source` is an integration type or `heartbeat`,
`integration` a configured name (`unknown` before authentication), `reason` one of
`REJECTION_REASONS`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, values
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from shared.metrics import LATENCY_BUCKETS

# Why a request was refused: credential, size, JSON syntax, content, unknown target, log down,
# the integration's rate limit, the client gone before its whole body arrived, a body
# compressed in a coding Tocsin does not read.
REJECTION_REASONS = (
    "auth",
    "too_large",
    "malformed",
    "invalid",
    "not_found",
    "unavailable",
    "rate_limited",
    "disconnected",
    "unsupported_encoding",
)
UNKNOWN_INTEGRATION = "unknown"
# A worker's metrics file starts with the 4-byte length in use, padded to 8.
_HEADER_BYTES = 8


class IngestMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.accepted = Counter(
            "tocsin_ingest_alerts_accepted_total",
            "Alerts (and acknowledge or change events) durably accepted, by integration",
            ["integration"],
            registry=registry,
        )
        self.rejected = Counter(
            "tocsin_ingest_requests_rejected_total",
            "Requests refused, by integration type, integration and reason",
            ["source", "integration", "reason"],
            registry=registry,
        )
        self.rejected_alerts = Counter(
            "tocsin_ingest_alerts_rejected_total",
            "Alerts (and acknowledge or change events) of refused requests, by integration and"
            " reason; counted once the credential is known and the body parsed (`invalid`:"
            " the items of the body's alert list, one for PagerDuty and Opsgenie)",
            ["integration", "reason"],
            registry=registry,
        )
        self.heartbeats = Counter(
            "tocsin_ingest_heartbeats_total",
            "Heartbeat check-ins accepted, by heartbeat and how they came (endpoint or watchdog)",
            ["heartbeat", "via"],
            registry=registry,
        )
        self.dropped = Counter(
            "tocsin_ingest_alerts_dropped_total",
            "Alerts accepted but not forwarded (a resolved watchdog), by integration and reason",
            ["integration", "reason"],
            registry=registry,
        )
        self.request_seconds = Histogram(
            "tocsin_ingest_request_seconds",
            "Time to answer an ingest request, by integration type",
            ["source"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.append_seconds = Histogram(
            "tocsin_ingest_append_seconds",
            "Time for the log to confirm a durable append",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.in_flight = Gauge(
            "tocsin_ingest_requests_in_flight",
            "Ingest requests being handled",
            registry=registry,
            multiprocess_mode="livesum",  # with --workers: the sum over the live workers
        )

    def expect_rejections(self, senders: Iterable[tuple[str, str]]) -> None:
        """Rejection series at 0 for these (source, integration) pairs, as the process starts.
        A series made at its first rejection comes back after a restart at its old value, so
        an alert on its increase would miss the first rejection after the restart."""
        for source, integration in senders:
            for reason in REJECTION_REASONS:
                self.rejected.labels(source, integration, reason)


def workers_registry(folder: Path) -> CollectorRegistry:
    """The registry of one of several ingest workers sharing a port (`--workers N`).

    A scrape reaches whichever worker accepts it, so each one's /metrics must speak for all:
    metric values live in per-process files under `folder` (prometheus_client's multiprocess
    mode) and exposition sums them over the workers. Call it in the worker, before any
    metric is made.
    """
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)  # where the values' files go
    # Metrics take their value class when they are made; the library picks it from the
    # environment at import, which is too early for a command-line option.
    values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]
    registry = _SummedRegistry()
    _WorkersCollector(folder, registry)
    return registry


class _WorkersCollector(MultiProcessCollector):
    """The sum over the workers' files, skipping a file its worker is still creating (empty
    until it is sized; prometheus_client would fail to read it)."""

    def __init__(self, folder: Path, registry: CollectorRegistry) -> None:
        self._folder = folder
        super().__init__(registry, path=str(folder))  # type: ignore[no-untyped-call]

    def collect(self) -> Iterable[Metric]:
        files = [str(f) for f in self._folder.glob("*.db") if f.stat().st_size >= _HEADER_BYTES]
        merged: Iterable[Metric] = self.merge(files, accumulate=True)  # type: ignore[no-untyped-call]
        return merged


class _SummedRegistry(CollectorRegistry):
    """Exposes only the workers' sum: the metrics made with it register too, and would
    otherwise expose this worker's own values a second time under the same names."""

    def register(self, collector: Collector) -> None:
        if isinstance(collector, MultiProcessCollector):
            super().register(collector)
