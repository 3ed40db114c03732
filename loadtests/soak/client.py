"""A lean HTTP/1.1 client: JSON POSTs to one 127.0.0.1 port over a fixed set of keep-alive
connections. A general client (httpx) spent more CPU per post than the service it measured on
a busy 2-core machine, and so measured itself."""

from __future__ import annotations

import asyncio
import contextlib
import time

_Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class NoAnswer(Exception):
    """The request got no (complete) answer: timeout, refused or broken connection."""


class PostClient:
    def __init__(self, port: int, path: str, headers: dict[str, str], connections: int) -> None:
        self._port = port
        head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        head += "Content-Type: application/json\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self._head = head.encode()
        self._idle: asyncio.Queue[_Connection | None] = asyncio.Queue()
        for _ in range(connections):
            self._idle.put_nowait(None)  # connected on first use

    async def post(self, body: bytes, timeout_s: float) -> tuple[int, float]:
        """POST `body`: (status code, seconds from a free connection to the answer), or
        `NoAnswer`."""
        connection = await self._idle.get()
        began = time.perf_counter()
        try:
            async with asyncio.timeout(timeout_s):
                status, connection = await self._exchange(connection, body)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as error:
            self._close(connection)
            self._idle.put_nowait(None)
            raise NoAnswer(type(error).__name__) from error
        self._idle.put_nowait(connection)
        return status, time.perf_counter() - began

    async def _exchange(
        self, connection: _Connection | None, body: bytes
    ) -> tuple[int, _Connection | None]:
        request = self._head + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
        if connection is not None:
            try:
                return await self._send(connection, request)
            except (ConnectionError, asyncio.IncompleteReadError) as error:
                if getattr(error, "partial", b""):
                    raise  # the server answered part of it: the request may have been taken
                self._close(connection)  # closed while idle (keep-alive timeout): reconnect
        fresh = await asyncio.open_connection("127.0.0.1", self._port)
        try:
            return await self._send(fresh, request)
        except BaseException:
            self._close(fresh)
            raise

    async def _send(
        self, connection: _Connection, request: bytes
    ) -> tuple[int, _Connection | None]:
        reader, writer = connection
        writer.write(request)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields = dict(
            (name.strip().lower(), value.strip())
            for name, _, value in (line.partition(":") for line in lines[1:] if line)
        )
        if fields.get("transfer-encoding", "").lower() == "chunked":
            await _skip_chunks(reader)
        else:
            await reader.readexactly(int(fields.get("content-length", "0")))
        if fields.get("connection", "").lower() == "close":
            self._close(connection)
            return status, None
        return status, connection

    async def close(self) -> None:
        while not self._idle.empty():
            self._close(self._idle.get_nowait())

    @staticmethod
    def _close(connection: _Connection | None) -> None:
        if connection is not None:
            with contextlib.suppress(OSError, RuntimeError):
                connection[1].close()


async def _skip_chunks(reader: asyncio.StreamReader) -> None:
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        await reader.readexactly(size + 2)
        if size == 0:
            return
