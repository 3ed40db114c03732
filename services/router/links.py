"""Signed, expiring one-click links for acknowledging and resolving from a notification."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

LINK_LIFETIME = timedelta(hours=24)


def _mac(secret: bytes, incident_id: str, action: str, expires: int) -> str:
    message = f"{incident_id}\n{action}\n{expires}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def action_link(
    base_url: str, secret: bytes, incident_id: str, action: str, issued_at: datetime
) -> str:
    expires = int((issued_at + LINK_LIFETIME).timestamp())
    signature = _mac(secret, incident_id, action, expires)
    return f"{base_url}/api/v1/incidents/{incident_id}/{action}/link?e={expires}&s={signature}"


def link_is_valid(
    secret: bytes, incident_id: str, action: str, expires: int, signature: str, now: datetime
) -> bool:
    if now.timestamp() > expires:
        return False
    return hmac.compare_digest(_mac(secret, incident_id, action, expires), signature)
