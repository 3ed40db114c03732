"""Soak test: Tocsin under steady load with storms, on each backend, for a chosen time.

    python -m loadtests.soak [--backend embedded|kafka|both] [--minutes 10] [--rate 200]
                             [--storm-every 60] [--storm-size 400] [--connections 64]
                             [--out DIR]

Reports accepted and lost alerts, duplicate pages, consumer lag, alert-to-page latency and
resident memory per process, as a table on stdout and one PNG per backend in `--out`; exits 1
when a run failed a check. Posts go only to 127.0.0.1; it stops by itself and stops every
process it started. See loadtests/soak/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from loadtests.soak.plot import plot
from loadtests.soak.report import failures, memory, table
from loadtests.soak.run import RunResult, run_backend
from loadtests.soak.workload import Shape

RESULTS = Path(__file__).resolve().parents[1] / "results"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m loadtests.soak", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--backend", choices=("embedded", "kafka", "both"), default="both")
    parser.add_argument("--minutes", type=float, default=10.0, help="load per backend")
    parser.add_argument("--rate", type=float, default=200.0, help="steady alerts per second")
    parser.add_argument("--storm-every", type=float, default=60.0, help="seconds between storms")
    parser.add_argument("--storm-size", type=int, default=400, help="alerts per storm (0: none)")
    parser.add_argument(
        "--connections", type=int, default=64, help="concurrent posts to ingest (keep-alive)"
    )
    parser.add_argument("--out", type=Path, default=None, help="default: loadtests/results/…")
    args = parser.parse_args()
    if not 0 < args.minutes <= 24 * 60:
        parser.error("--minutes must be in (0, 1440]")
    if not 1 <= args.rate <= 5000:
        parser.error("--rate must be in [1, 5000]")
    if not 1 <= args.connections <= 512:
        parser.error("--connections must be in [1, 512]")
    if args.storm_every < 10 or not 0 <= args.storm_size <= 10_000:
        parser.error("--storm-every must be >= 10 and --storm-size in [0, 10000]")
    return args


def _summary(result: RunResult) -> dict[str, Any]:
    return {
        "backend": result.backend,
        "load_s": result.load_s,
        "end_s": result.end_s,
        "storms_at": result.storms_at,
        "accepted_alerts": result.tally.accepted_alerts,
        "refused_alerts": result.tally.refused_alerts,
        "failed_alerts": result.tally.failed_alerts,
        "log": dataclasses.asdict(result.log),
        "pages": dataclasses.asdict(result.pages),
        "memory": [dataclasses.asdict(m) | {"bounded": m.bounded} for m in memory(result)],
        "failures": failures(result),
        "series": dataclasses.asdict(result.series),
    }


async def _main(args: argparse.Namespace, out: Path) -> list[RunResult]:
    shape = Shape(
        rate=args.rate,
        storm_every_s=args.storm_every,
        storm_size=args.storm_size,
        storm_life_s=min(30.0, args.storm_every / 2),
    )
    backends = ("embedded", "kafka") if args.backend == "both" else (args.backend,)
    results = []
    for backend in backends:
        result = await run_backend(backend, shape, args.minutes * 60, out, args.connections)
        plot(result, out / f"soak-{backend}.png")
        summary = json.dumps(_summary(result), indent=1, allow_nan=True)
        (out / f"soak-{backend}.json").write_text(summary)
        results.append(result)
    return results


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # unwinds like Ctrl-C, so every started process is stopped


def main() -> None:
    args = _arguments()
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out: Path = args.out or RESULTS / f"soak-{stamp}"
    out.mkdir(parents=True, exist_ok=True)
    results = asyncio.run(_main(args, out))
    print(table(results))
    print(f"plots and samples: {out}")
    sys.exit(1 if any(failures(result) for result in results) else 0)


if __name__ == "__main__":
    main()
