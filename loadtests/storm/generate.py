"""`python -m loadtests.storm.generate --out DIR`: a seeded alert storm with ground truth.

Writes into DIR:
- `alerts.jsonl`: the storm in `tocsin export` format (what `tocsin replay` reads);
- `truth.jsonl`: one line per alert occurrence: fingerprint, starts_at, truth incident, kind;
- `tocsin.yaml`: a Tocsin config with the generated `topology:` section, and route groups of
  one alert each (`group_by: ['...']`), so that the topology alone groups;
- `baseline.yaml`: the same without topology, grouping Alertmanager-style by
  `[alertname, cluster]`.
The same arguments always give the same files.
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import yaml

from loadtests.storm.emit import EmitShape, export_lines
from loadtests.storm.faults import FaultInjector, Occurrence, StormShape
from loadtests.storm.topology import Topology, build_topology, topology_section
from shared.durations import parse_duration

TOKEN = "storm-token"


def storm_config(topology: Topology | None, group_by: list[str]) -> dict[str, Any]:
    config: dict[str, Any] = {
        "integrations": [
            {"name": "storm-alertmanager", "type": "alertmanager", "token": TOKEN},
            {"name": "storm-json", "type": "canonical", "token": TOKEN + "-json"},
        ],
        "correlation": {"domain_labels": ["region"], "resolve_grace": "5m"},
        "route": {"receiver": "console", "group_by": group_by, "group_wait": "30s"},
        "channels": {"console": {"type": "console"}},
    }
    if topology is not None:
        config["topology"] = topology_section(topology)
    return config


def _truth_line(occurrence: Occurrence) -> bytes:
    line = {
        "fingerprint": occurrence.fingerprint,
        "starts_at": occurrence.starts_at,
        "incident": occurrence.truth,
        "kind": occurrence.kind,
        "alertname": occurrence.labels["alertname"],
    }
    return orjson.dumps(line, option=orjson.OPT_UTC_Z | orjson.OPT_APPEND_NEWLINE)


def generate(args: argparse.Namespace) -> None:
    """Write the storm `args` describe (see `parser`) into `args.out`."""
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    topology = build_topology(args.seed, args.regions, args.clusters, args.hosts, args.scale)
    shape = StormShape(args.hours, args.faults, args.noise, args.flaps, args.overlap)
    start = datetime.fromisoformat(args.start)
    rng = random.Random(f"storm-{args.seed}")
    occurrences = FaultInjector(topology, rng, start).storm(shape)
    resend = parse_duration(args.resend)
    assert isinstance(resend, timedelta)
    emit = EmitShape(resend=resend, body=args.body)
    payloads = notifications = 0
    with (out / "alerts.jsonl").open("wb") as alerts:
        for line, count in export_lines(occurrences, emit, random.Random(f"emit-{args.seed}")):
            if args.max_notifications and notifications + count > args.max_notifications:
                break
            alerts.write(line)
            payloads, notifications = payloads + 1, notifications + count
    with (out / "truth.jsonl").open("wb") as truth:
        truth.writelines(_truth_line(o) for o in occurrences)
    for name, config in (
        # Each alert its own route group: the topology alone decides what belongs together.
        ("tocsin.yaml", storm_config(topology, ["..."])),
        ("baseline.yaml", storm_config(None, ["alertname", "cluster"])),
    ):
        (out / name).write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    kinds = Counter(o.kind for o in occurrences)
    incidents = Counter(o.kind for o in {o.truth: o for o in occurrences}.values())
    print(f"{out}: {payloads:,} payloads, {notifications:,} notifications")
    print(f"{len(occurrences):,} alert occurrences in {sum(incidents.values()):,} truth incidents")
    for kind in sorted(kinds):
        print(f"  {kind:<10} {incidents[kind]:>6,} incidents {kinds[kind]:>8,} occurrences")


def parser() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(
        prog="python -m loadtests.storm.generate", description=__doc__
    )
    options.add_argument("--out", type=Path, required=True)
    options.add_argument("--seed", type=int, default=7)
    options.add_argument("--hours", type=float, default=6.0)
    options.add_argument("--regions", type=int, default=3)
    options.add_argument("--clusters", type=int, default=3, help="per region")
    options.add_argument("--hosts", type=int, default=8, help="per cluster")
    options.add_argument("--scale", type=int, default=1, help="copies of the 19 services")
    options.add_argument("--faults", type=float, default=1.5, help="per region and hour")
    options.add_argument("--noise", type=float, default=6.0, help="per region and hour")
    options.add_argument("--flaps", type=float, default=0.5, help="per region and hour")
    options.add_argument("--overlap", type=float, default=0.35, help="chance of a second fault")
    options.add_argument("--resend", default="5m", help="re-send interval of firing alerts")
    options.add_argument(
        "--body", choices=("alertmanager", "canonical", "mixed"), default="alertmanager"
    )
    options.add_argument("--start", default="2026-11-02T00:00:00+00:00")
    options.add_argument("--max-notifications", type=int, default=0, help="cut the storm there")
    return options


if __name__ == "__main__":
    generate(parser().parse_args())
