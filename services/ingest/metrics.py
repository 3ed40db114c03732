"""The ingest service's metrics bundle.

Label values come from small fixed sets: `source` is an integration type or `heartbeat`,
`integration` a configured name (`unknown` before authentication), `reason` one of
`REJECTION_REASONS`.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from shared.metrics import LATENCY_BUCKETS

# Why a request was refused: credential, size, JSON syntax, content, unknown target, log down.
REJECTION_REASONS = ("auth", "too_large", "malformed", "invalid", "not_found", "unavailable")
UNKNOWN_INTEGRATION = "unknown"


class IngestMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.accepted = Counter(
            "tocsin_ingest_alerts_accepted_total",
            "Alerts durably accepted, by integration",
            ["integration"],
            registry=registry,
        )
        self.rejected = Counter(
            "tocsin_ingest_requests_rejected_total",
            "Requests refused, by integration type, integration and reason",
            ["source", "integration", "reason"],
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
            "tocsin_ingest_requests_in_flight", "Ingest requests being handled", registry=registry
        )
