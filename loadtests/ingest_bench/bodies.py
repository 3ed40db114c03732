"""The alerts both servers ingest: Alertmanager API v2 bodies (a JSON array of alerts), which
Tocsin's canonical endpoint takes unchanged. Distinct label sets from a fixed pool, so neither
server can shortcut repeats of one alert."""

from __future__ import annotations

from typing import Any

import orjson

POOL_SIZE = 10_000
REGIONS = ("eu-west", "eu-central", "us-east", "ap-south")
SEVERITIES = ("critical", "warning", "warning", "info")
STARTS_AT = "2026-11-27T06:49:15.086990123Z"


def alert(index: int) -> dict[str, Any]:
    return {
        "labels": {
            "alertname": f"BenchAlert{index % 50}",
            "instance": f"host-{index}:9100",
            "job": "node",
            "region": REGIONS[index % len(REGIONS)],
            "severity": SEVERITIES[index % len(SEVERITIES)],
        },
        "annotations": {
            "summary": f"host-{index} is unhealthy",
            "runbook_url": "https://runbooks.example.com/bench",
        },
        "startsAt": STARTS_AT,
        "generatorURL": f"http://prometheus.example:9090/graph?g0.expr=up%7Binstance%3D%22host-{index}%22%7D",
    }


def batch_bodies(batch_size: int) -> tuple[bytes, ...]:
    """JSON arrays of `batch_size` consecutive alerts of the pool, covering it once."""
    count = max(1, POOL_SIZE // batch_size)
    return tuple(
        orjson.dumps([alert((n * batch_size + i) % POOL_SIZE) for i in range(batch_size)])
        for n in range(count)
    )
