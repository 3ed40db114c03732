"""`python -m loadtests.correlator_bench.memory --alerts 100000`: resident memory of the
correlator engine holding that many open (firing) alerts, in a fresh process.

Prints one JSON object: RSS before and after, open alerts, incidents. Alerts look like the
storm's (six labels, a summary), each with its own fingerprint, spread over 50 alert names and
10 clusters of one region, grouped by `[alertname, cluster]`.
"""

from __future__ import annotations

import argparse
import gc
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from services.cli.config_bundle import load_tocsin_config
from services.cli.replay_engine import ReplayEngine
from services.correlator.grouping import build_policy
from shared.alerts import Alert, Layer, Severity
from shared.fingerprint import label_fingerprint

CONFIG = """
integrations: [{name: bench, type: alertmanager, token: bench-token}]
correlation: {domain_labels: [region], resolve_grace: 5m}
route: {receiver: console, group_by: [alertname, cluster], group_wait: 30s}
channels: {console: {type: console}}
"""


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def bench_alert(index: int, at: datetime) -> Alert:
    labels = {
        "alertname": f"BenchAlert{index % 50}",
        "instance": f"host-{index // 50:05d}",
        "cluster": f"c{(index // 50) % 10}",
        "region": "eu-west",
        "severity": "warning",
        "job": "node",
    }
    return Alert(
        fingerprint=label_fingerprint(labels),
        status="firing",
        severity=Severity.WARNING,
        layer=Layer.INFRASTRUCTURE,
        labels=labels,
        annotations={"summary": f"{labels['alertname']} on {labels['instance']}"},
        starts_at=at,
        summary=f"{labels['alertname']} on {labels['instance']}",
        source="alertmanager",
        integration="bench",
        received_at=at,
    )


def measure(alerts: int, folder: Path) -> dict[str, float]:
    (folder / "memory.yaml").write_text(CONFIG)
    config = load_tocsin_config(folder / "memory.yaml")
    engine = ReplayEngine(build_policy(config.correlator, config.version), ["region"], ticks=False)
    start = datetime(2026, 11, 2, tzinfo=UTC)
    gc.collect()
    before = rss_mb()
    incidents = 0
    for index in range(alerts):
        at = start + timedelta(milliseconds=index)
        decided = engine.receive(bench_alert(index, at), at)
        incidents += sum(1 for event in decided if type(event).__name__ == "IncidentOpened")
    gc.collect()
    after = rss_mb()
    return {
        "open_alerts": engine.open_alerts,
        "incidents": incidents,
        "rss_before_mb": round(before, 1),
        "rss_after_mb": round(after, 1),
        "rss_delta_mb": round(after - before, 1),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp"))
    args = parser.parse_args()
    sys.stdout.buffer.write(orjson.dumps(measure(args.alerts, args.work)) + b"\n")
