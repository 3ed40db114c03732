"""The ingest service's metrics bundle."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from shared.metrics import LATENCY_BUCKETS


class IngestMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.accepted = Counter(
            "tocsin_ingest_alerts_accepted_total",
            "Alerts durably accepted",
            ["integration"],
            registry=registry,
        )
        self.rejected = Counter(
            "tocsin_ingest_requests_rejected_total",
            "Requests rejected, by integration type and reason",
            ["source", "reason"],
            registry=registry,
        )
        self.request_seconds = Histogram(
            "tocsin_ingest_request_seconds",
            "Time to answer an ingest request",
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
            "tocsin_ingest_requests_in_flight", "Ingest requests being handled", registry=registry
        )
