"""`python -m loadtests.correlator_bench`: correlator throughput and memory, with targets.

1. replay: notifications per second through `tocsin replay` (target: 1M in at most 10 s),
   with py-spy hot spots when `--profile` is given and py-spy is installed;
2. pipeline: `tocsin correlator --kafka` on a pre-filled broker (consume, decide, produce)
   next to a raw aiokafka consume-and-parse of the same records (target: at least 50 %):
   one process, then one per CPU in one consumer group, as instances scale out;
3. memory: resident memory of the engine holding 100k open alerts (target: at most 300 MB).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from loadtests.correlator_bench.pipeline_rate import (
    PipelineFigures,
    expected_outputs,
    prefill,
    raw_consume,
    storm_records,
    time_correlator,
)
from loadtests.correlator_bench.profile_summary import report
from loadtests.correlator_bench.replay_rate import (
    ensure_storm,
    profile_replay,
    py_spy,
    time_replay,
)
from services.cli.config_bundle import load_tocsin_config
from shared.alerts import Alert
from tests.support.brokers import tansu_broker


def run_replay(args: argparse.Namespace) -> list[str]:
    folder = ensure_storm(args.work, args.notifications)
    figures = time_replay(folder)
    lines = [
        f"replay     {figures.notifications:,} notifications in {figures.seconds:.1f} s = "
        f"{figures.rate:,.0f}/s (target 100,000/s: 1M in 10 s); "
        f"peak RSS {figures.max_rss_mb:.0f} MB"
    ]
    if args.profile:
        raw = profile_replay(folder, args.profile_lines)
        lines += (
            ["  py-spy: not installed"]
            if raw is None
            else ["  " + line for line in report(raw, 20)]
        )
    return lines


@contextlib.contextmanager
def broker(args: argparse.Namespace) -> Iterator[str]:
    if args.kafka:
        yield args.kafka
        return
    with tansu_broker(args.work / "tansu.log") as bootstrap:
        yield bootstrap


def run_pipeline(args: argparse.Namespace) -> list[str]:
    # Times a day ahead: no timer of the live correlator comes due during the run.
    start = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT00:00:00+00:00")
    folder = ensure_storm(args.work, args.pipeline_alerts, start)
    config = load_tocsin_config(folder / "tocsin.yaml")
    records = list(storm_records(folder / "alerts.jsonl", config, args.pipeline_alerts))
    expected = expected_outputs(records, config)
    lines: list[str] = []
    for processes in args.correlators:
        lines += _pipeline_on_fresh_broker(args, folder, records, expected, processes)
    return lines


def _pipeline_on_fresh_broker(
    args: argparse.Namespace,
    folder: Path,
    records: list[tuple[str, Alert]],
    expected: int,
    processes: int,
) -> list[str]:
    """Raw and pipeline rates on a broker of their own: the correlators start from empty
    outputs and committed offsets whatever ran before."""
    with broker(args) as bootstrap:
        asyncio.run(prefill(bootstrap, records))
        raw_seconds = asyncio.run(raw_consume(bootstrap, len(records)))
        spy, raw = py_spy(), args.work / f"bench-correlator-{processes}.pyspy.txt"
        profile = [spy, "record", "-r", "200", "-f", "raw", "-o", str(raw), "--"] if spy else []
        elapsed, first, seen, rss = time_correlator(
            bootstrap,
            folder / "tocsin.yaml",
            expected,
            args.work,
            args.timeout,
            profile if args.profile else [],
            processes,
        )
    figures = PipelineFigures(len(records), expected, raw_seconds, elapsed, first, seen, rss)
    share = figures.pipeline_rate / figures.raw_rate
    steady_share = figures.steady_rate / figures.raw_rate
    who = "1 correlator" if processes == 1 else f"{processes} correlators in one group"
    return [
        f"raw        {figures.records:,} records consumed and parsed in {raw_seconds:.2f} s = "
        f"{figures.raw_rate:,.0f}/s",
        f"pipeline   {who}: {seen:,}/{expected:,} outputs in {elapsed:.1f} s from start = "
        f"{figures.pipeline_rate:,.0f} alerts/s ({share:.1%} of raw; target 50 %); "
        f"{figures.steady_rate:,.0f}/s after the first output at {first:.1f} s "
        f"({steady_share:.1%} of raw)",
        f"           correlator RSS at the end {rss:.0f} MB"
        + (" (of py-spy: not measured while profiling)" if args.profile and spy else ""),
    ] + (["  " + line for line in report(raw, 20)] if args.profile and raw.exists() else [])


def run_memory(args: argparse.Namespace) -> list[str]:
    command = [sys.executable, "-m", "loadtests.correlator_bench.memory"]
    command += ["--alerts", str(args.open_alerts), "--work", str(args.work)]
    found = json.loads(subprocess.run(command, check=True, capture_output=True).stdout)
    return [
        f"memory     {found['open_alerts']:,} open alerts in {found['incidents']:,} incidents: "
        f"RSS {found['rss_after_mb']:.0f} MB (engine state {found['rss_delta_mb']:.0f} MB; "
        "target 300 MB)"
    ]


def main() -> None:
    options = argparse.ArgumentParser(
        prog="python -m loadtests.correlator_bench", description=__doc__
    )
    options.add_argument("--work", type=Path, default=Path("/tmp/tocsin-correlator-bench"))
    options.add_argument("--notifications", type=int, default=1_000_000)
    options.add_argument("--pipeline-alerts", type=int, default=100_000)
    options.add_argument("--open-alerts", type=int, default=100_000)
    options.add_argument("--kafka", metavar="HOST:PORT", help="a broker to use instead of Tansu")
    options.add_argument("--timeout", type=float, default=900.0, help="pipeline limit, seconds")
    options.add_argument("--profile", action="store_true", help="py-spy the replay")
    options.add_argument("--profile-lines", type=int, default=50_000, help="payloads profiled")
    options.add_argument("--only", choices=("replay", "pipeline", "memory"), action="append")
    options.add_argument(
        "--correlators",
        type=int,
        nargs="+",
        default=sorted({1, os.cpu_count() or 1}),
        help="correlator processes of each pipeline run (default: 1, then one per CPU)",
    )
    args = options.parse_args()
    if args.kafka and len(args.correlators) > 1:
        options.error("--kafka takes one --correlators count: each run needs empty outputs")
    args.work.mkdir(parents=True, exist_ok=True)
    parts = {"replay": run_replay, "pipeline": run_pipeline, "memory": run_memory}
    for name in args.only or list(parts):
        for line in parts[name](args):
            print(line, flush=True)


if __name__ == "__main__":
    main()
