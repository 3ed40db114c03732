"""The alert sender: an open-loop schedule of posts over raw HTTP/1.1 keep-alive connections,
in its own process on uvloop, so that the client costs little CPU beside what it measures.

Alert `index` is due at `started + index / rate` (perf_counter, which is CLOCK_MONOTONIC and so
comparable across processes); its page latency is measured from that due time, whatever the
answers do (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import orjson
import uvloop


@dataclass(frozen=True)
class Schedule:
    port: int
    token: str
    run: str
    rate: int
    count: int
    connections: int = 64

    def alert_name(self, index: int) -> str:
        return f"Bench{self.run}{index:06d}"

    def request(self, index: int) -> bytes:
        labels = {"alertname": self.alert_name(index), "region": f"r{index % 8}"}
        body = orjson.dumps({"labels": labels})
        head = (
            f"POST /api/v1/alerts HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Authorization: Bearer {self.token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body


@dataclass(frozen=True)
class Sent:
    started: float  # perf_counter of alert 0's due time
    statuses: Counter[int]

    def due(self, schedule: Schedule, index: int) -> float:
        return self.started + index / schedule.rate


class _Connection:
    def __init__(self, port: int) -> None:
        self._port = port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, request: bytes) -> int:
        try:
            if self._streams is None:
                self._streams = await asyncio.open_connection("127.0.0.1", self._port)
            reader, writer = self._streams
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            marker = head.lower().find(b"content-length:")
            if marker >= 0:
                await reader.readexactly(int(head[marker + 15 : head.index(b"\r\n", marker)]))
            return int(head[9:12])
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            self.close()
            return 0

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
        self._streams = None


async def _send(schedule: Schedule) -> Sent:
    requests = [schedule.request(index) for index in range(schedule.count)]
    idle: asyncio.Queue[_Connection] = asyncio.Queue()
    for _ in range(schedule.connections):
        idle.put_nowait(_Connection(schedule.port))
    statuses: Counter[int] = Counter()

    async def one(index: int) -> None:
        connection = await idle.get()
        statuses[await connection.post(requests[index])] += 1
        idle.put_nowait(connection)

    started = time.perf_counter() + 0.05
    tasks = []
    for index in range(schedule.count):
        delay = started + index / schedule.rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index)))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
    while not idle.empty():
        idle.get_nowait().close()
    return Sent(started, statuses)


def _run(schedule: Schedule) -> Sent:
    return uvloop.run(_send(schedule))


async def send_in_child(schedule: Schedule) -> Sent:
    """Run the schedule in a child process; the caller's loop stays free to receive pages."""
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(1) as pool:
        return await loop.run_in_executor(pool, _run, schedule)
