"""Heartbeats: check-ins posted to their endpoint, and watchdog alerts turned into check-ins.

A firing alert matching a heartbeat's `watchdog` is that heartbeat's check-in (one per matching
heartbeat) and is not forwarded as an alert. A *resolved* watchdog alert means the watchdog
stopped firing, so it is no check-in either: it is recorded as `AlertDropped` on
tocsin.payloads, and the missing check-ins will raise the alarm. Check-ins are keyed by the
correlation domain of the heartbeat's `labels`, whatever the alert's labels are.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from services.ingest.acceptance import Entry
from services.ingest.auth import AuthFailure
from services.ingest.config import HeartbeatConfig
from services.ingest.normalizers.classify import LabelCondition, parse_conditions
from shared.alerts import Alert
from shared.events.inputs import AlertDropped, HeartbeatReceived
from shared.topics import ALERTS, PAYLOADS, domain_key

# How much of an unknown heartbeat name a 404 repeats: the path is the caller's, any length.
_SHOWN_NAME_CHARS = 100


@dataclass(frozen=True, slots=True)
class Heartbeat:
    name: str
    key: str
    token: bytes | None
    watchdog: tuple[LabelCondition, ...]

    def watches(self, alert: Alert) -> bool:
        return bool(self.watchdog) and all(c.holds(alert.labels) for c in self.watchdog)

    def check_in(self, received_at: datetime, integration: str | None = None) -> Entry:
        event = HeartbeatReceived(name=self.name, received_at=received_at, integration=integration)
        return Entry(ALERTS, self.key, event)


class HeartbeatBook:
    """The configured heartbeats: who may check in, and which alerts are watchdogs."""

    def __init__(self, heartbeats: Sequence[HeartbeatConfig], domain_labels: Sequence[str]):
        self._heartbeats = {
            config.name: Heartbeat(
                name=config.name,
                key=domain_key(config.labels, domain_labels),
                token=config.token.get_secret_value().encode() if config.token else None,
                watchdog=parse_conditions(config.watchdog) if config.watchdog else (),
            )
            for config in heartbeats
        }
        self._watchdogs = tuple(h for h in self._heartbeats.values() if h.watchdog)

    @property
    def has_watchdogs(self) -> bool:
        return bool(self._watchdogs)

    def named(self, name: str) -> Heartbeat | None:
        return self._heartbeats.get(name)

    def authenticate(self, name: str, credential: str | None) -> Heartbeat | AuthFailure:
        """The heartbeat `name` if `credential` is its token; compared in constant time."""
        if not credential:
            return AuthFailure(401, "missing credential")
        presented = credential.encode()
        owner: Heartbeat | None = None
        for heartbeat in self._heartbeats.values():  # every one, so timing reveals nothing
            token = heartbeat.token or b""
            if heartbeat.token is not None and hmac.compare_digest(token, presented):
                owner = heartbeat
        target = self._heartbeats.get(name)
        if owner is None:
            return AuthFailure(401, "unknown heartbeat credential")
        if target is None:
            return AuthFailure(404, f"no heartbeat is named {_shown(name)}")
        if owner is not target:
            return AuthFailure(403, f"the credential is not the token of heartbeat {name}")
        return target

    def watchdog_entries(
        self, alert: Alert, integration: str, received_at: datetime
    ) -> list[Entry] | None:
        """What a watchdog alert becomes instead of an AlertReceived; None for other alerts."""
        if not self._watchdogs:
            return None
        matched = [h for h in self._watchdogs if h.watches(alert)]
        if not matched:
            return None
        if alert.status == "resolved":
            dropped = AlertDropped(
                integration=integration,
                fingerprint=alert.fingerprint,
                reason="resolved watchdog of heartbeat " + ", ".join(h.name for h in matched),
                received_at=received_at,
            )
            return [Entry(PAYLOADS, integration, dropped)]
        return [heartbeat.check_in(received_at, integration) for heartbeat in matched]


def _shown(name: str) -> str:
    """`name` as an answer repeats it: cut to `_SHOWN_NAME_CHARS`, saying so."""
    if len(name) <= _SHOWN_NAME_CHARS:
        return name
    return f"{name[:_SHOWN_NAME_CHARS]}... ({len(name)} characters)"
