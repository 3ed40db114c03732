"""One pooled HTTP client for every HTTP channel (webhook, Slack): POST a JSON body once and
classify the answer as a delivery outcome.

Its own HTTP/1.1 connections (`http_pool`, `http_wire`) rather than a general client: the
dispatcher sends one request per page, and at a thousand pages a second aiohttp's
per-request work was a sixth of the process's CPU (httpx's, before it, a quarter of the
router's). No proxy from the environment, no cookies, no redirects: a page goes exactly where
the config says, and carries nothing from earlier answers.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import ssl
import time
from datetime import UTC
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote, urlsplit

from services.router.channels.delivery import (
    Delivered,
    DeliveryOutcome,
    PermanentFailure,
    RetryableFailure,
)
from services.router.channels.http_pool import ConnectionPool, Origin
from services.router.channels.http_wire import ConnectionClosed, InvalidAnswer
from shared.runtime.runner import STOP_GRACE_S

USER_AGENT = "tocsin-router/1"
_RETRYABLE_4XX = frozenset({408, 429})
_DETAIL_MAX = 200
_CONNECTIONS_PER_HOST = 64
# How many stop graces a dispatcher may take to stop: its poll step's, its drain's, a margin.
_USERS_GRACES = 3
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters left as they are in a path or query; others (spaces, non-ASCII) are escaped.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"
_TARGETS_CACHED = 1024
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110's token


class JsonPoster:
    """Shared by the channels of one router; `close` it at shutdown."""

    def __init__(
        self,
        connections_per_host: int = _CONNECTIONS_PER_HOST,
        stop_grace_s: float = STOP_GRACE_S,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._stop_grace_s = stop_grace_s
        self._pool = ConnectionPool(connections_per_host, tls=tls)
        self._targets: dict[str, _Target] = {}
        self._users: list[asyncio.Event] = []
        self._closed = False

    def close_after(self, stopped: asyncio.Event) -> None:
        """At a stop, close only once `stopped` is set too (a dispatcher's runner, whose
        deliveries get their grace once its poll loop has ended: later than this client's)."""
        self._users.append(stopped)

    async def post(
        self, url: str, body: bytes, headers: dict[str, str], time_limit: float
    ) -> DeliveryOutcome:
        """POST once; never raises for delivery failures. `time_limit` (seconds) bounds the
        whole request, connecting included."""
        if self._closed:
            return RetryableFailure("the router is stopping")
        try:
            target = self._target(url)
            request = target.request(body, headers)
        except ValueError as exc:
            return PermanentFailure(f"request failed: {exc}")
        try:
            async with asyncio.timeout(time_limit):
                async with self._pool.connection(target.origin) as connection:
                    status = await connection.send(request)
                    if 200 <= status < 300:
                        # Accepted: a receiver slow to send its body must not turn that into
                        # a timeout, and a retry into a second page.
                        return Delivered()
                    # Only the start of an error body goes into the reason.
                    answer = await connection.read(4 * _DETAIL_MAX)
        except TimeoutError:
            return RetryableFailure("timed out")
        except ConnectionClosed:
            return RetryableFailure("connection failed: closed before an answer")
        except InvalidAnswer as exc:
            return RetryableFailure(f"connection failed: not an HTTP answer ({exc})")
        except ssl.SSLCertVerificationError as exc:
            return RetryableFailure(f"connection failed: TLS certificate refused ({exc.reason})")
        except OSError:
            return RetryableFailure("connection failed: could not connect")
        outcome = classify_status(answer.status, answer.body_start.decode(errors="replace"))
        if isinstance(outcome, RetryableFailure):
            wait = retry_after(answer.headers.get("retry-after"), time.time())
            return RetryableFailure(outcome.reason, wait)
        return outcome

    def _target(self, url: str) -> _Target:
        target = self._targets.get(url)
        if target is None:
            if len(self._targets) >= _TARGETS_CACHED:
                self._targets.clear()
            target = self._targets[url] = _Target.parse(url)
        return target

    async def run(self, stop: asyncio.Event) -> None:
        """Run beside the process's other loops, so the connections are closed at shutdown:
        once the dispatchers using it have stopped (`close_after`: their deliveries ended, or
        their grace did), which take at most a few stop graces. Closed under them, a
        delivered page would be recorded as failed, and escalate."""
        await stop.wait()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._stop_grace_s * _USERS_GRACES):
                await asyncio.gather(*(stopped.wait() for stopped in self._users))
        await self.close()

    async def close(self) -> None:
        self._closed = True  # a retry after this opens no connection left unclosed
        self._pool.close()


class _Target:
    """Where one URL's requests go, and the start of their head."""

    def __init__(self, origin: Origin, head: str) -> None:
        self.origin = origin
        self._head = head

    @classmethod
    def parse(cls, url: str) -> _Target:
        """Raises ValueError, saying what is wrong, for a URL no request can go to."""
        try:
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            if scheme not in _DEFAULT_PORTS or not parts.hostname:
                raise ValueError
            host = parts.hostname.encode("idna").decode("ascii")
            port = parts.port or _DEFAULT_PORTS[scheme]
        except (ValueError, UnicodeError):
            raise ValueError("invalid URL") from None
        shown = f"[{host}]" if ":" in host else host
        if port != _DEFAULT_PORTS[scheme]:
            shown += f":{port}"
        target = quote(parts.path or "/", safe=_PATH_SAFE)
        if parts.query:
            target += "?" + quote(parts.query, safe=_QUERY_SAFE)
        head = f"POST {target} HTTP/1.1\r\nHost: {shown}\r\nUser-Agent: {USER_AGENT}\r\n"
        if parts.username is not None:
            secret = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            head += f"Authorization: Basic {base64.b64encode(secret.encode()).decode()}\r\n"
        return cls(Origin(scheme, host, port), head)

    def request(self, body: bytes, headers: dict[str, str]) -> bytes:
        """Raises ValueError for a header that would break the request's framing."""
        lines = [self._head, "Content-Type: application/json\r\n"]
        for name, value in headers.items():
            if not _HEADER_NAME.fullmatch(name) or "\r" in value or "\n" in value:
                raise ValueError(f"invalid header {name!r}")
            lines.append(f"{name}: {value}\r\n")
        lines.append(f"Content-Length: {len(body)}\r\n\r\n")
        try:
            return "".join(lines).encode("latin-1") + body
        except UnicodeEncodeError:
            raise ValueError("a header value is not Latin-1") from None


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
