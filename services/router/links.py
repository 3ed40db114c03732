"""Signed, expiring links in a notification: acknowledge, resolve, and view the incident.

A link names the incident, the action and its expiry (`e`, Unix seconds), and optionally
the person it was sent to (`r`); `s` is an HMAC-SHA256 over all of them, so none can be
changed. Following an acknowledge or resolve link only shows a confirmation form; posting the
form acts. A view link shows the incident, read-only: the person paged has no API token at
hand, and the page they were sent must open.
"""

from __future__ import annotations

import hmac
import re
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import quote, quote_plus

_EXPIRY = re.compile(r"[1-9][0-9]{0,11}")  # Unix seconds, as `action_link` writes them

LINK_LIFETIME = timedelta(hours=24)
LINK_ACTIONS = ("acknowledge", "resolve")
VIEW = "view"  # not a command: the incident page


class LinkCheck(StrEnum):
    VALID = "valid"
    FORGED = "forged"  # signature does not match: altered, or signed with another secret
    EXPIRED = "expired"


def _mac(secret: bytes, incident_id: str, action: str, expires: int, recipient: str) -> str:
    message = f"{incident_id}\n{action}\n{expires}"
    if recipient:
        message += f"\n{recipient}"
    return hmac.digest(secret, message.encode(), "sha256").hex()  # one-shot: no HMAC object


def action_link(
    base_url: str,
    secret: bytes,
    incident_id: str,
    action: str,
    issued_at: datetime,
    *,
    lifetime: timedelta = LINK_LIFETIME,
    recipient: str = "",
) -> str:
    expires = int((issued_at + lifetime).timestamp())
    return base_url + link_path(secret, incident_id, action, expires, recipient)


def link_path(secret: bytes, incident_id: str, action: str, expires: int, recipient: str) -> str:
    """The path and query of a link that expires at `expires` (Unix seconds)."""
    # What `urlencode({"e": ..., "r": ..., "s": ...})` writes: only the recipient can need
    # quoting (the expiry is a number, the signature hex); one is made for every page sent.
    query = f"e={expires}"
    if recipient:
        query += f"&r={quote_plus(recipient)}"
    signature = _mac(secret, incident_id, action, expires, recipient)
    return f"/api/v1/incidents/{quote(incident_id, safe='')}/{action}/link?{query}&s={signature}"


def check_link(
    secret: bytes,
    incident_id: str,
    action: str,
    expires: str,
    signature: str,
    now: datetime,
    recipient: str = "",
) -> LinkCheck:
    """The signature first: an altered link is forged whatever its expiry says."""
    # ASCII digits as written, no more: "²" is a digit to `isdigit` (and `int` refuses it),
    # and a leading zero or another script's digits would be other spellings of one link.
    if not _EXPIRY.fullmatch(expires):
        return LinkCheck.FORGED
    expected = _mac(secret, incident_id, action, int(expires), recipient)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return LinkCheck.FORGED
    if now.timestamp() > int(expires):
        return LinkCheck.EXPIRED
    return LinkCheck.VALID
