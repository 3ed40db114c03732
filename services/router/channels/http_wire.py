"""One HTTP/1.1 client connection: send a request, read its answer with httptools' parser.

The router sends one small POST per page and needs only the answer's status, headers and the
start of its body; a general client (aiohttp) spent four times the CPU of this on each page,
at a thousand pages a second a sixth of the process's. A connection whose answer was read
whole, and that both sides keep alive, can carry the next request.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import cast

import httptools


class ConnectionClosed(Exception):
    """The connection ended before a whole answer (or the start the caller wanted) came."""


class InvalidAnswer(Exception):
    """What came back is not HTTP/1.x."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case; a repeated header keeps its last value
    body_start: bytes  # at most the `body_limit` asked for


class HttpConnection(asyncio.Protocol):
    """Made by `loop.create_connection`; one request at a time."""

    def __init__(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._status = 0
        self._headers: dict[str, str] = {}
        self._body = bytearray()
        self._body_limit = 0
        self._head: asyncio.Future[None] | None = None
        self._enough: asyncio.Future[None] | None = None
        self._complete = False
        self._keep_alive = False
        self._closed = False

    @property
    def open(self) -> bool:
        return not self._closed

    def reusable(self) -> bool:
        """The last answer was read to its end and neither side asked to close."""
        return self._complete and self._keep_alive and not self._closed

    def close(self) -> None:
        self._closed = True
        if self._transport is not None:
            self._transport.close()

    async def send(self, request: bytes) -> int:
        """Write `request`; return the answer's status once its headers have come (1xx
        interim answers are skipped)."""
        if self._closed or self._transport is None:
            raise ConnectionClosed
        loop = asyncio.get_running_loop()
        self._status, self._headers, self._body, self._complete = 0, {}, bytearray(), False
        self._head, self._enough = loop.create_future(), loop.create_future()
        self._transport.write(request)
        await self._head
        return self._status

    async def read(self, body_limit: int) -> Answer:
        """The answer whose status `send` returned, with up to `body_limit` bytes of its body:
        waits for the body's end or that many bytes, whichever comes first."""
        assert self._enough is not None
        self._body_limit = body_limit
        if len(self._body) >= body_limit:
            self._finish(self._enough)
        await self._enough
        return Answer(self._status, self._headers, bytes(self._body[:body_limit]))

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not registered as asyncio.Transport: no isinstance check.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(InvalidAnswer("an upgrade was not asked for"))
        except httptools.HttpParserError as exc:
            self._fail(InvalidAnswer(str(exc) or type(exc).__name__))

    def eof_received(self) -> bool:
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        if self._head is not None and not self._head.done():
            self._head.set_exception(ConnectionClosed())
        # A body that runs to the connection's end (no length given) ends here.
        if self._enough is not None:
            self._finish(self._enough)

    # httptools callbacks

    def on_message_begin(self) -> None:
        self._headers, self._body = {}, bytearray()

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if status < 200:
            return  # an interim answer: the real one follows
        self._status = status
        if self._head is not None and not self._head.done():
            self._head.set_result(None)

    def on_body(self, body: bytes) -> None:
        if self._status and len(self._body) < max(self._body_limit, 1 << 16):
            self._body += body
        if self._body_limit and len(self._body) >= self._body_limit and self._enough:
            self._finish(self._enough)

    def on_message_complete(self) -> None:
        if not self._status:
            return  # the end of an interim answer
        self._complete = True
        # Asked now: once the callback returns, the parser is ready for the next answer.
        self._keep_alive = self._parser.should_keep_alive()
        if self._enough is not None:
            self._finish(self._enough)

    def _fail(self, exc: Exception) -> None:
        # Only `send` waits for the head; past it, the body read so far is the answer.
        if self._head is not None and not self._head.done():
            self._head.set_exception(exc)
        if self._enough is not None:
            self._finish(self._enough)
        self.close()

    @staticmethod
    def _finish(waiter: asyncio.Future[None]) -> None:
        if not waiter.done():
            waiter.set_result(None)
