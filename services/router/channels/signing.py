"""HMAC signatures on outgoing webhooks, so receivers can check a request came from Tocsin.

The signed message is `f"{timestamp}.".encode() + body`; binding the timestamp lets a
receiver reject replays of an old request. Header values:

    X-Tocsin-Timestamp: 1714572180
    X-Tocsin-Signature: v1=<hex HMAC-SHA256>
    X-Tocsin-Notification-Id: <notification id, the idempotency key>

During a secret rotation a receiver may be sent several comma-separated `v1=` entries; one
match is enough.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Tocsin-Signature"
TIMESTAMP_HEADER = "X-Tocsin-Timestamp"
NOTIFICATION_ID_HEADER = "X-Tocsin-Notification-Id"
DEFAULT_TOLERANCE_SECONDS = 300
_SCHEME = "v1="


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The `X-Tocsin-Signature` value for a body sent at `timestamp` (Unix seconds)."""
    digest = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return _SCHEME + digest


def verify(
    secret: bytes,
    timestamp: int,
    body: bytes,
    header: str,
    now: int,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """True if `header` signs `body` at `timestamp` and `timestamp` is within `tolerance`
    seconds of `now` (either side: a clock skewed into the future is as suspect)."""
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).encode()
    candidates = [part.strip().encode() for part in header.split(",")]
    # Compare against every candidate so timing does not reveal which one matched.
    matches = [hmac.compare_digest(expected, candidate) for candidate in candidates]
    return any(matches)


def signed_headers(
    secret: bytes | None, notification_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The headers sent with a webhook body; without a secret the signature is omitted."""
    headers = {TIMESTAMP_HEADER: str(timestamp), NOTIFICATION_ID_HEADER: notification_id}
    if secret is not None:
        headers[SIGNATURE_HEADER] = sign(secret, timestamp, body)
    return headers
