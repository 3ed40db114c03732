"""A webhook receiver on 127.0.0.1 that keeps every page it gets, with its arrival time.

Like `loadtests/latency_bench/receiver.py`, but it also reads the `X-Tocsin-Notification-Id`
header and the escalation step, which the duplicate checks need, and the `[soak:GROUP]` tag the
load generator puts in each alert's summary, which ties a page to the alerts that opened it.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass

import orjson

_GROUP_TAG = re.compile(r"\[soak:([^\]]+)\]")
_ID_HEADER = b"x-tocsin-notification-id:"


@dataclass(frozen=True, slots=True)
class PageSeen:
    arrived: float  # time.perf_counter()
    notification_id: str
    incident_id: str
    step: int
    repeat: int
    target: str
    group: str | None


class PageReceiver:
    def __init__(self) -> None:
        self.pages: list[PageSeen] = []
        self.unreadable = 0
        self.updates = 0  # acknowledged / resolved notices: not pages
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/pages"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length, notification_id = 0, ""
                for line in head.split(b"\r\n"):
                    lowered = line.lower()
                    if lowered.startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                    elif lowered.startswith(_ID_HEADER):
                        notification_id = line.split(b":", 1)[1].strip().decode()
                body = await reader.readexactly(length)
                self._record(notification_id, body)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()

    def _record(self, notification_id: str, body: bytes) -> None:
        arrived = time.perf_counter()
        try:
            page = orjson.loads(body)
            escalation = page["escalation"]
            incident_id = str(page["incident"]["id"])
            summaries = [str(alert.get("summary", "")) for alert in page.get("alerts", [])]
            status = page["incident"]["status"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            self.unreadable += 1
            return
        if status != "triggered":
            self.updates += 1
            return
        tags = (_GROUP_TAG.search(summary) for summary in summaries)
        group = next((tag.group(1) for tag in tags if tag), None)
        self.pages.append(
            PageSeen(
                arrived,
                notification_id or str(page.get("notification_id", "")),
                incident_id,
                int(escalation["step"]),
                int(escalation["repeat"]),
                str(escalation["target"]),
                group,
            )
        )
