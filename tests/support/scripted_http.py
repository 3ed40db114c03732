"""A real HTTP/1.1 server on 127.0.0.1 that answers as scripted, for channel tests: the n-th
request gets the n-th reply (the last one repeats). One request per connection, as the client
is told by `Connection: close`. Also a sleep that only records, for retry schedules."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    stall_body: bool = False  # send the head, then never the body
    close: bool = False  # close the connection without answering
    hang: bool = False  # answer nothing until the server stops


HANG = Reply(hang=True)


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes


class ScriptedHttpServer:
    def __init__(self, replies: Sequence[Reply], path: str = "/hook") -> None:
        self._replies = list(replies)
        self._path = path
        self._release = asyncio.Event()
        self._handlers: set[asyncio.Task[None]] = set()
        self.received: list[Received] = []
        self.url = ""

    @property
    def bodies(self) -> list[bytes]:
        return [request.body for request in self.received]

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}{self._path}"

    async def stop(self) -> None:
        self._release.set()
        self._server.close()
        await self._server.wait_closed()
        await asyncio.gather(*self._handlers)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            await self._answer(reader, writer)
        finally:
            writer.close()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        method, path, _ = (await reader.readline()).decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.received.append(Received(method, path, headers, body))
        reply = self._replies[min(len(self.received), len(self._replies)) - 1]
        if reply.close:
            return
        if reply.hang:
            await self._release.wait()
            return
        extra = "".join(f"{name}: {value}\r\n" for name, value in reply.headers)
        length = 10 if reply.stall_body else len(reply.body)  # a body that never comes
        head = f"HTTP/1.1 {reply.status} Scripted\r\nContent-Length: {length}\r\n{extra}"
        writer.write(f"{head}Content-Type: text/plain\r\nConnection: close\r\n\r\n".encode())
        writer.write(reply.body)
        await writer.drain()
        if reply.stall_body:
            await self._release.wait()


async def scripted(replies: Sequence[Reply], path: str = "/hook") -> ScriptedHttpServer:
    """A started server; the test stops it."""
    server = ScriptedHttpServer(replies, path)
    await server.start()
    return server


class FakeSleep:
    """Records the delays a retry loop asks for, without waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
