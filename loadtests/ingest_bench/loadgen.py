"""The load generator: raw HTTP/1.1 keep-alive connections on asyncio (uvloop), in worker
processes, so that the client costs little CPU next to the server it measures.

Closed loop (`rate` None): each connection posts again as soon as it has its answer.
Open loop (`rate` set): requests are sent on a fixed schedule whatever the answers do, and a
request's latency runs from its scheduled time (no coordinated omission).
Every run is bounded by `duration_s` and `max_requests`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace

import uvloop

_LATENCY_SAMPLES = 100_000  # per worker, at most


@dataclass(frozen=True)
class Target:
    """Where and how to post: every request carries one of `bodies` (rotating)."""

    host: str
    port: int
    path: str
    headers: tuple[tuple[str, str], ...]
    bodies: tuple[bytes, ...]
    alerts_per_body: int

    def requests(self) -> list[bytes]:
        head = f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        head += "Content-Type: application/json\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in self.headers)
        return [
            (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body for body in self.bodies
        ]


@dataclass(frozen=True)
class Load:
    connections: int
    duration_s: float
    max_requests: int
    rate: float | None = None  # requests per second, all workers together; None: closed loop
    workers: int = 1


@dataclass
class Outcome:
    ok: int = 0
    failed: int = 0
    alerts: int = 0
    elapsed_s: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    latencies_s: list[float] = field(default_factory=list)

    def merge(self, other: Outcome) -> Outcome:
        return Outcome(
            ok=self.ok + other.ok,
            failed=self.failed + other.failed,
            alerts=self.alerts + other.alerts,
            elapsed_s=max(self.elapsed_s, other.elapsed_s),
            statuses=self.statuses + other.statuses,
            latencies_s=self.latencies_s + other.latencies_s,
        )

    @property
    def alerts_per_s(self) -> float:
        return self.alerts / self.elapsed_s if self.elapsed_s else 0.0

    def percentile_ms(self, fraction: float) -> float:
        if not self.latencies_s:
            return float("nan")
        ordered = sorted(self.latencies_s)
        return 1000 * ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class _Connection:
    def __init__(self, target: Target) -> None:
        self._target = target
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, request: bytes) -> int:
        """Send one request and read its whole answer; the status (0 if the connection broke)."""
        try:
            if self._writer is None:
                connected = await asyncio.open_connection(self._target.host, self._target.port)
                self._reader, self._writer = connected
            assert self._reader is not None
            self._writer.write(request)
            head = await self._reader.readuntil(b"\r\n\r\n")
            await self._read_body(head.lower())
            return int(head[9:12])
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            self.close()
            return 0

    async def _read_body(self, head: bytes) -> None:
        assert self._reader is not None
        marker = head.find(b"content-length:")
        if marker >= 0:
            length = int(head[marker + 15 : head.index(b"\r\n", marker)])
            await self._reader.readexactly(length)
        elif b"transfer-encoding: chunked" in head:
            while True:
                size = int((await self._reader.readuntil(b"\r\n")).strip(), 16)
                await self._reader.readexactly(size + 2)
                if size == 0:
                    return
        if b"connection: close" in head:
            self.close()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


async def _closed_loop(target: Target, load: Load) -> Outcome:
    requests = target.requests()
    outcome = Outcome()
    deadline = time.perf_counter() + load.duration_s
    budget = [load.max_requests]

    async def worker(index: int) -> None:
        connection = _Connection(target)
        sent = index
        while budget[0] > 0 and time.perf_counter() < deadline:
            budget[0] -= 1
            began = time.perf_counter()
            status = await connection.post(requests[sent % len(requests)])
            _count(outcome, target, status, time.perf_counter() - began)
            sent += load.connections
        connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(load.connections)))
    outcome.elapsed_s = time.perf_counter() - started
    return outcome


async def _open_loop(target: Target, load: Load) -> Outcome:
    assert load.rate is not None
    requests = target.requests()
    outcome = Outcome()
    idle: asyncio.Queue[_Connection] = asyncio.Queue()
    for _ in range(load.connections):
        idle.put_nowait(_Connection(target))
    count = min(load.max_requests, int(load.rate * load.duration_s))
    started = time.perf_counter()

    async def one(index: int, scheduled: float) -> None:
        connection = await idle.get()
        status = await connection.post(requests[index % len(requests)])
        _count(outcome, target, status, time.perf_counter() - scheduled)
        idle.put_nowait(connection)

    tasks = []
    for index in range(count):
        scheduled = started + index / load.rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index, scheduled)))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)
    outcome.elapsed_s = time.perf_counter() - started
    while not idle.empty():
        idle.get_nowait().close()
    return outcome


def _count(outcome: Outcome, target: Target, status: int, latency_s: float) -> None:
    outcome.statuses[status] += 1
    if 200 <= status < 300:
        outcome.ok += 1
        outcome.alerts += target.alerts_per_body
    else:
        outcome.failed += 1
    if len(outcome.latencies_s) < _LATENCY_SAMPLES:
        outcome.latencies_s.append(latency_s)


def _run_worker(target: Target, load: Load) -> Outcome:
    run = _closed_loop if load.rate is None else _open_loop
    return uvloop.run(run(target, load))


def generate(target: Target, load: Load) -> Outcome:
    """Run `load` against `target` in `load.workers` processes; their outcomes merged."""
    share = replace(
        load,
        connections=max(1, load.connections // load.workers),
        max_requests=max(1, load.max_requests // load.workers),
        rate=None if load.rate is None else load.rate / load.workers,
    )
    with ProcessPoolExecutor(load.workers) as pool:
        futures = [pool.submit(_run_worker, target, share) for _ in range(load.workers)]
        outcomes = [future.result() for future in futures]
    merged = Outcome()
    for outcome in outcomes:
        merged = merged.merge(outcome)
    return merged
