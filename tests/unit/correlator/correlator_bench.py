"""Throughput and memory of the correlator engine, offline (not a test: run it by hand).

    PYTHONPATH=. .venv/bin/python tests/unit/correlator/correlator_bench.py throughput [N] [R]
    PYTHONPATH=. .venv/bin/python tests/unit/correlator/correlator_bench.py memory [N]

throughput: N distinct alerts (default 100,000) on a topology of 5,000 hosts and 2,000 services
are each sent R times (default 10), as Alertmanager re-sends firing alerts, with a tick
every 10,000 notifications: 1M notifications through `step`. Prints notifications per CPU
second for the first round (every alert new: grouping, topology, inhibition) and the repeats.
memory: the RSS that N open alerts (default 100,000) add to the process.
"""

from __future__ import annotations

import gc
import hashlib
import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.correlator.config import CorrelatorConfig
from services.correlator.domain.engine import next_due, step
from services.correlator.domain.state import CorrelatorState
from services.correlator.grouping import build_policy
from shared.alerts import Alert, Layer, Severity
from shared.events.inputs import AlertReceived, TickOccurred

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
HOSTS, SERVICES = 5_000, 2_000


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def config() -> CorrelatorConfig:
    rng = random.Random(7)
    services = {
        f"svc-{s}": {
            "hosts": [f"node-{rng.randrange(HOSTS)}" for _ in range(2)],
            "depends_on": [f"svc-{rng.randrange(s)}"] if s else [],
        }
        for s in range(SERVICES)
    }
    return CorrelatorConfig.model_validate(
        {
            "route": {
                "receiver": "oncall",
                "group_by": ["alertname", "instance", "service"],
                "group_wait": "30s",
                "routes": [{"matchers": ['layer="business"'], "receiver": "business"}],
            },
            "inhibit_rules": [
                {
                    "source_matchers": ['alertname="ClusterDown"'],
                    "target_matchers": ['severity="warning"'],
                    "equal": ["cluster"],
                }
            ],
            "topology": {
                "hosts": {f"node-{h}": {"cluster": f"c{h % 50}"} for h in range(HOSTS)},
                "services": services,
                "business_metrics": {f"kpi-{k}": {"driven_by": [f"svc-{k}"]} for k in range(100)},
            },
        }
    )


def _fingerprint(labels: dict[str, str]) -> str:
    """Not `label_fingerprint`: its cache of label sets would count as the state's memory."""
    return hashlib.blake2b(repr(sorted(labels.items())).encode(), digest_size=8).hexdigest()


def alerts(distinct: int) -> Iterator[AlertReceived]:
    for i in range(distinct):
        kind = i % 4
        host = f"node-{i % HOSTS}"
        labels = {"alertname": ("NodeDown", "DiskFull", "HighErrorRate", "Latency")[kind]}
        labels |= {"cluster": f"c{i % 50}", "severity": "critical" if kind == 0 else "warning"}
        if kind < 2:
            labels |= {"instance": f"{host}:9100", "mount": f"/m{i}"}
        else:
            labels |= {"service": f"svc-{i % SERVICES}", "pod": f"p{i}"}
        starts = T0 + timedelta(microseconds=i)
        yield AlertReceived(
            alert=Alert(
                fingerprint=_fingerprint(labels),
                status="firing",
                severity=Severity(labels["severity"]),
                layer=Layer.INFRASTRUCTURE if kind < 2 else Layer.APPLICATION,
                labels=labels,
                annotations={"summary": f"alert {i}"},
                starts_at=starts,
                source="alertmanager",
                integration="bench",
                received_at=starts,
            )
        )


def throughput(distinct: int, rounds: int) -> None:
    """Inputs built beforehand: only `step` (and `next_due`) is timed, in CPU seconds."""
    policy = build_policy(config(), "bench")
    inputs = list(alerts(distinct))
    state = CorrelatorState()
    seconds: list[float] = []
    for round_index in range(rounds):
        started = time.process_time()
        base = T0 + timedelta(minutes=round_index)
        for index, received in enumerate(inputs):
            now = base + timedelta(microseconds=index)
            step(state, received, now, policy, "region=eu-west")
            if index % 10_000 == 9_999:
                next_due(state, policy)
                step(state, TickOccurred(at=now), now, policy, "tick")
        seconds.append(time.process_time() - started)
    total = sum(seconds)
    print(f"incidents open: {len(state.incidents):,} for {len(state.alerts):,} alerts")
    print(f"round 1 (all new): {distinct / seconds[0]:,.0f} notifications/s ({seconds[0]:.2f} s)")
    if rounds > 1:
        print(f"repeats: {distinct * (rounds - 1) / sum(seconds[1:]):,.0f} notifications/s")
    print(f"{distinct * rounds:,} notifications in {total:.2f} s CPU")


def memory(open_alerts: int) -> None:
    """Alerts made one at a time and dropped after `step`, as the processor decodes them:
    what stays is the state."""
    policy = build_policy(config(), "bench")
    gc.collect()
    before = rss_mb()
    state = CorrelatorState()
    for index, received in enumerate(alerts(open_alerts)):
        step(state, received, T0 + timedelta(microseconds=index), policy, "region=eu-west")
    gc.collect()
    after = rss_mb()
    print(f"{len(state.alerts):,} open alerts in {len(state.incidents):,} incidents")
    print(f"process RSS {after:.0f} MB; the state adds {after - before:.0f} MB")
    print(f"{(after - before) * 1024 * 1024 / open_alerts:,.0f} bytes per open alert")


if __name__ == "__main__":
    mode, *numbers = sys.argv[1:] or ["throughput"]
    if mode == "memory":
        memory(*(int(n) for n in numbers or ["100000"]))
    else:
        throughput(*(int(n) for n in (numbers + ["100000", "10"][len(numbers) :])))
