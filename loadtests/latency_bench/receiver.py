"""An asyncio HTTP/1.1 server that timestamps each page as it arrives."""

from __future__ import annotations

import asyncio
import time

import orjson


class TimestampingReceiver:
    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}  # incident title → first arrival (perf_counter)
        self.pages = 0
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await reader.readexactly(length)
                self._record(body)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    def _record(self, body: bytes) -> None:
        now = time.perf_counter()
        self.pages += 1
        title = orjson.loads(body)["incident"]["title"]
        self.arrivals.setdefault(title.split(" on ")[0], now)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
