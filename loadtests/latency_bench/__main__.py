"""Time from alert POST to page received, p50/p99, at fixed offered rates, on both backends.

    python -m loadtests.latency_bench [--rates 100 1000] [--seconds 10] [--backends embedded kafka]

Each alert has its own alertname, so each opens an incident and pages once through a webhook
to a local receiver; routes have `group_wait: 0s`. A warm-up of 20 alerts, all paged, comes
before the measured rates. Load is open-loop (sends are scheduled at a
fixed rate whatever the answers) and only to 127.0.0.1. Stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

import httpx
import uvloop

from loadtests.ingest_bench.cpu import tree_cpu_seconds
from loadtests.latency_bench.receiver import TimestampingReceiver
from loadtests.latency_bench.sender import Schedule, send_in_child
from tests.support.brokers import free_port, tansu_broker
from tests.support.processes import stop

TOKEN = "bench-token"


def _config(port: int) -> str:
    return (
        f"integrations:\n  - {{name: bench, type: canonical, token: {TOKEN}}}\n"
        "route:\n  receiver: team\n  group_by: [alertname]\n  group_wait: 0s\n"
        f'channels:\n  hook: {{type: webhook, url: "http://127.0.0.1:{port}/pages"}}\n'
        "escalation_policies:\n  - name: team\n    steps:\n"
        '      - {delay: 0s, notify: ["channel:hook"]}\n'
    )


def _start(args: list[str], log: Path, port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "services.cli.main", *args, "--port", str(port)]
    env = {"TOCSIN_LOG_LEVEL": "WARNING", "PATH": "/usr/bin:/bin"}
    with log.open("ab") as sink:
        return subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env)


async def _ready(port: int) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return  # consumer groups may still be joining: the warm-up waits for them
            await asyncio.sleep(0.1)
    raise RuntimeError(f"service on {port} not ready")


class Measured(NamedTuple):
    p50_ms: float
    p99_ms: float
    paged: int
    sent: int
    cpu_ms_per_alert: float  # of Tocsin's processes, from sending the first alert to the last page


async def _measure(
    receiver: TimestampingReceiver,
    ingest: int,
    rate: int,
    seconds: float,
    run: str,
    processes: list[subprocess.Popen[bytes]],
) -> Measured:
    schedule = Schedule(ingest, TOKEN, run, rate, int(rate * seconds))
    cpu_before = sum(tree_cpu_seconds(process.pid) for process in processes)
    sent = await send_in_child(schedule)
    refused = schedule.count - sent.statuses[202]
    if refused:
        print(f"  warning: {refused} posts not accepted: {dict(sent.statuses)}", file=sys.stderr)
    names = {schedule.alert_name(index): index for index in range(schedule.count)}
    for _ in range(300):  # at most 60 s for the last pages
        if all(name in receiver.arrivals for name in names):
            break
        await asyncio.sleep(0.2)
    cpu = sum(tree_cpu_seconds(process.pid) for process in processes) - cpu_before
    latencies = sorted(
        (receiver.arrivals[name] - sent.due(schedule, index)) * 1000
        for name, index in names.items()
        if name in receiver.arrivals
    )
    cpu_ms = cpu * 1000 / schedule.count
    if not latencies:
        return Measured(float("nan"), float("nan"), 0, schedule.count, cpu_ms)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return Measured(statistics.median(latencies), p99, len(latencies), schedule.count, cpu_ms)


async def _bench_backend(backend: str, rates: list[int], seconds: float) -> list[str]:
    receiver = TimestampingReceiver()
    await receiver.start()
    work = Path(tempfile.mkdtemp(prefix=f"tocsin-latency-{backend}-"))
    config = work / "tocsin.yaml"
    config.write_text(_config(receiver.port))
    rows: list[str] = []
    with contextlib.ExitStack() as stack:
        processes, ingest = [], free_port()
        if backend == "embedded":
            args = ["up", "--config", str(config), "--data", str(work / "data")]
            processes.append(_start(args, work / "up.log", ingest))
            await _ready(ingest)
        else:
            bootstrap = stack.enter_context(tansu_broker(work / "broker.log"))
            common = ["--config", str(config), "--kafka", bootstrap]
            for name, port in (
                ("ingest", ingest),
                ("correlator", free_port()),
                ("router", free_port()),
            ):
                processes.append(_start([name, *common], work / f"{name}.log", port))
                await _ready(port)
        try:
            # Consumer groups may still be joining (Tansu takes seconds): measure once every
            # stage has paged a few alerts, not the start-up.
            warm = await _measure(receiver, ingest, 20, 1.0, "warmup", processes)
            print(f"  warm-up: {warm.paged}/{warm.sent} paged", file=sys.stderr)
            for run, rate in enumerate(rates):
                # Alert names unique per run: a rate measured twice must not match the first
                # run's pages (nor page once: the second run's alerts would join its incidents).
                run_name = f"{run}x{rate}"
                got = await _measure(receiver, ingest, rate, seconds, run_name, processes)
                row = (
                    f"{backend:9} {rate:>6}/s {got.p50_ms:9.1f} {got.p99_ms:9.1f}"
                    f" {got.paged:>7}/{got.sent} {got.cpu_ms_per_alert:9.2f}"
                )
                print(row, flush=True)
                rows.append(row)
        finally:
            for process in processes:
                stop(process)
            await receiver.stop()
    return rows


async def _main(backends: list[str], rates: list[int], seconds: float) -> None:
    # CPU: of Tocsin's processes (not the broker's), per alert: what the machine must supply
    # for a rate, so a machine too slow for it shows as such.
    print("backend     offered   p50 ms    p99 ms   paged/sent  CPU ms/alert", flush=True)
    for backend in backends:
        await _bench_backend(backend, rates, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rates", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--backends", nargs="+", choices=["embedded", "kafka"], default=["embedded", "kafka"]
    )
    args = parser.parse_args()
    uvloop.run(_main(args.backends, args.rates, args.seconds))


if __name__ == "__main__":
    main()
