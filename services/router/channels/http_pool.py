"""Keep-alive HTTP/1.1 connections per origin, at most a fixed number in use at once each.

A connection goes back to the pool only when its answer was read whole and both sides keep it
alive; an idle one is dropped once the peer closed it or after `keep_alive_s` (servers close
idle connections on their own timers, and a request written as they do is lost).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from services.router.channels.http_wire import HttpConnection

KEEP_ALIVE_S = 15.0


@dataclass(frozen=True)
class Origin:
    scheme: str  # "http" or "https"
    host: str  # lower case, IDNA-encoded, without brackets
    port: int

    @property
    def tls(self) -> bool:
        return self.scheme == "https"


@dataclass
class _OriginPool:
    slots: asyncio.Semaphore
    idle: list[tuple[HttpConnection, float]] = field(default_factory=list)


class ConnectionPool:
    def __init__(
        self,
        per_origin: int,
        keep_alive_s: float = KEEP_ALIVE_S,
        clock: Callable[[], float] = time.monotonic,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        """`tls`: how HTTPS servers are verified; the system's trusted roots by default."""
        self._per_origin = per_origin
        self._keep_alive_s = keep_alive_s
        self._clock = clock
        self._pools: dict[Origin, _OriginPool] = {}
        self._open: set[HttpConnection] = set()
        self._tls = tls
        self._closed = False

    @contextlib.asynccontextmanager
    async def connection(self, origin: Origin) -> AsyncIterator[HttpConnection]:
        """A connection to `origin` for one request; a new one when none is idle. Raises
        OSError (ssl.SSLError included) when it cannot connect."""
        pool = self._pools.get(origin)
        if pool is None:
            pool = self._pools[origin] = _OriginPool(asyncio.Semaphore(self._per_origin))
        async with pool.slots:
            connection = self._take_idle(pool) or await self._connect(origin)
            try:
                yield connection
            except BaseException:
                self._drop(connection)
                raise
            if connection.reusable() and not self._closed:
                pool.idle.append((connection, self._clock()))
            else:
                self._drop(connection)

    def close(self) -> None:
        """Close every connection, in use or idle; a request under way fails."""
        self._closed = True
        for connection in list(self._open):
            self._drop(connection)
        self._pools.clear()

    def _take_idle(self, pool: _OriginPool) -> HttpConnection | None:
        fresh_since = self._clock() - self._keep_alive_s
        while pool.idle:
            connection, since = pool.idle.pop()
            if connection.open and since > fresh_since:
                return connection
            self._drop(connection)
        return None

    async def _connect(self, origin: Origin) -> HttpConnection:
        loop = asyncio.get_running_loop()
        if origin.tls and self._tls is None:
            self._tls = ssl.create_default_context()
        _, connection = await loop.create_connection(
            HttpConnection,
            origin.host,
            origin.port,
            ssl=self._tls if origin.tls else None,
            server_hostname=origin.host if origin.tls else None,
        )
        self._open.add(connection)
        if self._closed:  # closed while connecting
            self._drop(connection)
        return connection

    def _drop(self, connection: HttpConnection) -> None:
        connection.close()
        self._open.discard(connection)
