"""Prometheus plumbing shared by the services: one registry per process, text exposition."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, disable_created_metrics, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

# No `<name>_created` gauge beside each counter and histogram: in the text format it is a
# series of its own per label set, doubling what Prometheus stores, and no query reads it.
disable_created_metrics()  # type: ignore[no-untyped-call]

# Buckets for latencies from sub-millisecond appends to multi-second deliveries.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


def new_registry() -> CollectorRegistry:
    return CollectorRegistry(auto_describe=True)


def exposition(registry: CollectorRegistry) -> tuple[bytes, str]:
    """The registry in Prometheus text format, and its content type."""
    return generate_latest(registry), CONTENT_TYPE_LATEST
