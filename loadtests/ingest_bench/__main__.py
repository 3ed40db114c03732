"""Ingest throughput and latency: Tocsin (Kafka-protocol broker, embedded log) against
Alertmanager 0.25, same alerts, same load generator. See README.md in this folder.

    python -m loadtests.ingest_bench [--duration 5] [--connections 32] [--repeats 2]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from loadtests.ingest_bench.bodies import batch_bodies
from loadtests.ingest_bench.loadgen import Load, Outcome, Target, generate
from loadtests.ingest_bench.servers import Server, alertmanager, tocsin_on_embedded, tocsin_on_kafka

BATCHES = (1, 10, 100)


@dataclass(frozen=True)
class Options:
    duration_s: float
    warmup_s: float
    connections: int
    workers: int
    repeats: int
    max_requests: int
    latency_rate: float  # alerts per second offered in the latency phase
    latency_batch: int
    tocsin_workers: int  # `tocsin ingest --workers` on Kafka


def _parse(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m loadtests.ingest_bench", description=__doc__)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before each batch")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument("--workers", type=int, default=1, help="load generator processes")
    parser.add_argument("--repeats", type=int, default=2, help="measurements per server")
    parser.add_argument("--max-requests", type=int, default=200_000, help="per measurement")
    parser.add_argument("--latency-rate", type=float, default=1000.0, help="alerts/s offered")
    parser.add_argument("--latency-batch", type=int, default=10, help="alerts per request")
    parser.add_argument(
        "--tocsin-workers",
        type=int,
        default=os.cpu_count() or 1,
        help="ingest processes of tocsin/kafka (default: one per CPU, as Alertmanager uses all)",
    )
    args = parser.parse_args(argv)
    return Options(
        duration_s=min(args.duration, 60.0),
        warmup_s=min(args.warmup, 10.0),
        connections=args.connections,
        workers=args.workers,
        repeats=max(1, min(args.repeats, 5)),
        max_requests=args.max_requests,
        latency_rate=args.latency_rate,
        latency_batch=args.latency_batch,
        tocsin_workers=max(1, args.tocsin_workers),
    )


def _target(server: Server, batch: int) -> Target:
    bodies = batch_bodies(batch)
    return Target("127.0.0.1", server.port, server.path, server.headers, bodies, batch)


class Bench:
    def __init__(self, servers: list[Server], options: Options) -> None:
        self.servers = servers
        self.options = options
        self.throughput: dict[tuple[str, int], list[Outcome]] = defaultdict(list)
        # The server's CPU µs per alert accepted, per run (None: its processes not found).
        self.cpu_us: dict[tuple[str, int], list[float | None]] = defaultdict(list)
        self.latency: dict[str, Outcome] = {}
        self.accepted: dict[str, int] = defaultdict(int)

    def run(self) -> None:
        for batch in BATCHES:
            for server in self.servers:
                self._closed(server, batch, self.options.warmup_s)
            for _ in range(self.options.repeats):  # alternate servers: drift hits all alike
                for server in self.servers:
                    before = server.cpu_seconds()
                    outcome = self._closed(server, batch, self.options.duration_s)
                    used = _per_alert_us(before, server.cpu_seconds(), outcome)
                    self.throughput[(server.name, batch)].append(outcome)
                    self.cpu_us[(server.name, batch)].append(used)
                    print(f"  {server.name:16} batch {batch:3}: {_rate(outcome, used)}", flush=True)
        for server in self.servers:
            self.latency[server.name] = self._open(server)

    def _closed(self, server: Server, batch: int, duration_s: float) -> Outcome:
        load = Load(
            connections=self.options.connections,
            duration_s=duration_s,
            max_requests=self.options.max_requests,
            workers=self.options.workers,
        )
        outcome = generate(_target(server, batch), load)
        self.accepted[server.name] += outcome.alerts
        return outcome

    def _open(self, server: Server) -> Outcome:
        batch = self.options.latency_batch
        load = Load(
            connections=64,
            duration_s=self.options.duration_s,
            max_requests=self.options.max_requests,
            rate=self.options.latency_rate / batch,
            workers=1,
        )
        outcome = generate(_target(server, batch), load)
        self.accepted[server.name] += outcome.alerts
        return outcome


def _per_alert_us(before: float | None, after: float | None, outcome: Outcome) -> float | None:
    if before is None or after is None or not outcome.alerts:
        return None
    return 1e6 * (after - before) / outcome.alerts


def _rate(outcome: Outcome, cpu_us: float | None) -> str:
    failed = f", {outcome.failed} failed {dict(outcome.statuses)}" if outcome.failed else ""
    cpu = "" if cpu_us is None else f", {cpu_us:.0f} CPU µs/alert"
    return f"{outcome.alerts_per_s:9.0f} alerts/s ({outcome.ok} requests ok{failed}{cpu})"


def _report(bench: Bench, options: Options) -> None:
    best = {key: max(o.alerts_per_s for o in runs) for key, runs in bench.throughput.items()}
    names = [server.name for server in bench.servers]
    print(
        f"\nDurable alerts/s accepted (closed loop, {options.connections} connections, "
        f"best of {options.repeats} x {options.duration_s:g} s)"
    )
    print(f"{'batch':>5}  " + "".join(f"{name:>17}" for name in names) + "   ratio Tocsin/AM")
    for batch in BATCHES:
        row = "".join(f"{best[(name, batch)]:17.0f}" for name in names)
        am = best[("alertmanager", batch)]
        ratios = "  ".join(
            f"{name.split('/')[1]} {best[(name, batch)] / am:.2f}"
            for name in names
            if name != "alertmanager" and am
        )
        print(f"{batch:>5}  {row}   {ratios}")
    print(
        "\nServer CPU µs per alert accepted (the server's processes, not the broker's nor the "
        "load generator's; least of the runs, as a busy machine only adds)"
    )
    print(f"{'batch':>5}  " + "".join(f"{name:>17}" for name in names))
    for batch in BATCHES:
        print(f"{batch:>5}  " + "".join(_least(bench.cpu_us[(n, batch)]) for n in names))
    rate = options.latency_rate
    print(
        f"\nLatency at a fixed offered load of {rate:g} alerts/s "
        f"({rate / options.latency_batch:g} requests/s of {options.latency_batch} alerts), "
        f"{options.duration_s:g} s, from each request's scheduled send time"
    )
    print(f"{'server':<17}{'p50 ms':>9}{'p99 ms':>9}{'ok':>8}{'failed':>8}")
    for name, outcome in bench.latency.items():
        p50, p99 = outcome.percentile_ms(0.5), outcome.percentile_ms(0.99)
        print(f"{name:<17}{p50:9.1f}{p99:9.1f}{outcome.ok:8}{outcome.failed:8}")


def _least(values: list[float | None]) -> str:
    known = [value for value in values if value is not None]
    return f"{min(known):17.0f}" if known else f"{'-':>17}"


def _durability(bench: Bench) -> None:
    print("\nDurability: alerts answered 2xx vs alert records on tocsin.alerts")
    for server in bench.servers:
        stored = server.durable_alerts()
        if stored is None:
            print(f"  {server.name:<16} {bench.accepted[server.name]} accepted (kept in memory)")
            continue
        accepted = bench.accepted[server.name]
        verdict = "ok" if stored >= accepted else "MISSING RECORDS"
        print(f"  {server.name:<16} {accepted} accepted, {stored} stored: {verdict}")


def main(argv: Sequence[str] | None = None) -> None:
    options = _parse(argv)
    load_before = os.getloadavg()
    print(f"{platform.node()}: {os.cpu_count()} CPUs, load average {load_before[0]:.2f}")
    print(
        f"tocsin/kafka: `tocsin ingest --workers {options.tocsin_workers}`; "
        "tocsin/embedded: one process (the SQLite log is one writer); "
        "alertmanager: one Go process, GOMAXPROCS = CPUs"
    )
    with (
        tempfile.TemporaryDirectory(prefix="ingest-bench-") as folder,
        contextlib.ExitStack() as stack,
    ):
        root = Path(folder)
        servers = [
            stack.enter_context(tocsin_on_kafka(root, options.tocsin_workers)),
            stack.enter_context(tocsin_on_embedded(root)),
            stack.enter_context(alertmanager(root)),
        ]
        bench = Bench(servers, options)
        bench.run()
        _report(bench, options)
        _durability(bench)
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
