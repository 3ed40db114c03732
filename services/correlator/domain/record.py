"""A firing alert as the state keeps it: every field of the alert, a fraction of the memory.

A pydantic `Alert` costs about 2.6 kB decoded from the log, most of it model bookkeeping;
this record keeps the same values in slots, with label names and values interned (the same
`cluster="c1"` is one string for all alerts), so 100k open alerts fit in a few hundred MB.
`to_alert` gives the alert back, equal to the one recorded.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime

from shared.alerts import Alert, AlertStatus, Layer, Severity

_intern = sys.intern


@dataclass(frozen=True, slots=True)
class AlertRecord:
    fingerprint: str
    status: AlertStatus
    severity: Severity
    layer: Layer
    service: str | None
    team: str | None
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None
    summary: str
    generator_url: str | None
    source: str
    integration: str
    received_at: datetime

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "")

    @classmethod
    def of(cls, alert: Alert) -> AlertRecord:
        return cls(
            fingerprint=alert.fingerprint,
            status=alert.status,
            severity=alert.severity,
            layer=alert.layer,
            service=_intern(alert.service) if alert.service else None,
            team=_intern(alert.team) if alert.team else None,
            labels={_intern(k): _intern(v) for k, v in alert.labels.items()},
            annotations=alert.annotations,
            starts_at=alert.starts_at,
            ends_at=alert.ends_at,
            summary=alert.summary,
            generator_url=alert.generator_url,
            source=_intern(alert.source),
            integration=_intern(alert.integration),
            received_at=alert.received_at,
        )

    def same_as(self, alert: Alert) -> bool:
        """Whether a re-send brings nothing new but its receive time."""
        return (
            alert.ends_at == self.ends_at
            and alert.severity == self.severity
            and alert.layer == self.layer
            and alert.service == self.service
            and alert.summary == self.summary
            and alert.annotations == self.annotations
        )

    def to_alert(self) -> Alert:
        return Alert(
            fingerprint=self.fingerprint,
            status=self.status,
            severity=self.severity,
            layer=self.layer,
            service=self.service,
            team=self.team,
            labels=dict(self.labels),
            annotations=dict(self.annotations),
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            summary=self.summary,
            generator_url=self.generator_url,
            source=self.source,
            integration=self.integration,
            received_at=self.received_at,
        )
