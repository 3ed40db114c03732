"""One pooled HTTP client for every HTTP channel (webhook, Slack): POST a JSON body once and
classify the answer as a delivery outcome.

aiohttp rather than httpx: the dispatcher sends one request per page, and at a thousand
pages a second httpx's per-request overhead was a quarter of the router's CPU. The session
is opened on first use because an aiohttp session belongs to the loop that runs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC
from email.utils import parsedate_to_datetime

import aiohttp

from services.router.channels.delivery import (
    Delivered,
    DeliveryOutcome,
    PermanentFailure,
    RetryableFailure,
)
from shared.runtime.runner import STOP_GRACE_S

USER_AGENT = "tocsin-router/1"
_RETRYABLE_4XX = frozenset({408, 429})
_DETAIL_MAX = 200
_CONNECTIONS_PER_HOST = 64
# How many stop graces a dispatcher may take to stop: its poll step's, its drain's, a margin.
_USERS_GRACES = 3


class _Stopping(Exception):
    """The client is closed: the process stops."""


class JsonPoster:
    """Shared by the channels of one router; `close` it at shutdown."""

    def __init__(
        self, connections_per_host: int = _CONNECTIONS_PER_HOST, stop_grace_s: float = STOP_GRACE_S
    ) -> None:
        self._connections_per_host = connections_per_host
        self._stop_grace_s = stop_grace_s
        self._session: aiohttp.ClientSession | None = None
        self._users: list[asyncio.Event] = []
        self._closed = False

    def close_after(self, stopped: asyncio.Event) -> None:
        """At a stop, close only once `stopped` is set too (a dispatcher's runner, whose
        deliveries get their grace once its poll loop has ended: later than this client's)."""
        self._users.append(stopped)

    def _open(self) -> aiohttp.ClientSession:
        if self._closed:
            raise _Stopping
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=0, limit_per_host=self._connections_per_host)
            # No cookies and no proxy from the environment: a page goes exactly where the
            # config says, and carries nothing from earlier answers.
            self._session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar(), trust_env=False
            )
        return self._session

    async def post(
        self, url: str, body: bytes, headers: dict[str, str], time_limit: float
    ) -> DeliveryOutcome:
        """POST once; never raises for delivery failures. `time_limit` (seconds) bounds the
        whole request, connecting included."""
        try:
            session = self._open()
        except _Stopping:
            return RetryableFailure("the router is stopping")
        try:
            async with session.post(
                url,
                data=body,
                headers={"User-Agent": USER_AGENT, "Content-Type": "application/json", **headers},
                timeout=aiohttp.ClientTimeout(total=time_limit),
                allow_redirects=False,  # a redirect is a wrong URL: fix the config instead
            ) as response:
                if 200 <= response.status < 300:
                    # Accepted: a receiver slow to send its body must not turn that into a
                    # timeout, and a retry into a second page.
                    return Delivered()
                # Only the start of an error body goes into the reason.
                detail = (await response.content.read(4 * _DETAIL_MAX)).decode(errors="replace")
                outcome = classify_status(response.status, detail)
                if isinstance(outcome, RetryableFailure):
                    wait = retry_after(response.headers.get("Retry-After"), time.time())
                    return RetryableFailure(outcome.reason, wait)
                return outcome
        except TimeoutError:
            return RetryableFailure("timed out")
        except aiohttp.InvalidURL as exc:
            return PermanentFailure(f"request failed: {type(exc).__name__}")
        except aiohttp.ClientConnectorError:
            return RetryableFailure("connection failed: could not connect")
        except aiohttp.ServerDisconnectedError:
            return RetryableFailure("connection failed: closed before an answer")
        except (aiohttp.ClientError, OSError) as exc:
            return RetryableFailure(f"connection failed: {type(exc).__name__}")

    async def run(self, stop: asyncio.Event) -> None:
        """Run beside the process's other loops, so the session is closed at shutdown: once
        the dispatchers using it have stopped (`close_after`: their deliveries ended, or their
        grace did), which take at most a few stop graces. Closed under them, a delivered page
        would be recorded as failed, and escalate."""
        await stop.wait()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._stop_grace_s * _USERS_GRACES):
                await asyncio.gather(*(stopped.wait() for stopped in self._users))
        await self.close()

    async def close(self) -> None:
        self._closed = True  # a retry after this does not open a session left unclosed
        if self._session is not None:
            await self._session.close()
            self._session = None


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds a `Retry-After` header asks for (delay-seconds or an HTTP date, RFC 9110);
    None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000" or a zone-less date: HTTP dates are GMT
        when = when.replace(tzinfo=UTC)
    return max(when.timestamp() - now, 0.0)


def classify_status(status: int, detail: str = "") -> DeliveryOutcome:
    """Map an HTTP status to an outcome; `detail` (the response body) is kept short."""
    if 200 <= status < 300:
        return Delivered()
    snippet = " ".join(detail.split())[:_DETAIL_MAX]
    reason = f"HTTP {status}" + (f": {snippet}" if snippet else "")
    if status >= 500 or status in _RETRYABLE_4XX:
        return RetryableFailure(reason)
    return PermanentFailure(reason)
