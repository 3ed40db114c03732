"""An `Alert` built from values the normalizers have already checked, without pydantic's
second pass over them.

`Alert(...)` validates every field again, which cost ingest more per alert (about 4 µs) than
reading the alert's labels. `assemble` is the one place alerts are built, and what it passes
is valid by construction: strings from the readers in `errors.py` and `limits.py`, `Severity`
and `Layer` members, "firing" or "resolved", aware UTC datetimes, fingerprints of at most 64
characters. The property tests in `tests/unit/normalizers/test_normalizer_properties.py` hold
every source's alerts equal, field by field and in JSON, to the validated construction.
"""

from __future__ import annotations

from datetime import datetime

from shared.alerts import Alert, AlertStatus, Layer, Severity
from shared.events.inputs import AlertReceived

_set = object.__setattr__
_FIELDS = frozenset(Alert.model_fields)


def unvalidated_alert(
    *,
    fingerprint: str,
    status: AlertStatus,
    severity: Severity,
    layer: Layer,
    service: str | None,
    team: str | None,
    labels: dict[str, str],
    annotations: dict[str, str],
    starts_at: datetime,
    ends_at: datetime | None,
    summary: str,
    generator_url: str | None,
    source: str,
    integration: str,
    received_at: datetime,
) -> Alert:
    """What `Alert(...)` of these (already valid) values gives, as `model_construct` builds
    it: the fields in declaration order (the order they are written to the log in)."""
    alert = Alert.__new__(Alert)
    _set(
        alert,
        "__dict__",
        {
            "fingerprint": fingerprint,
            "status": status,
            "severity": severity,
            "layer": layer,
            "service": service,
            "team": team,
            "labels": labels,
            "annotations": annotations,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "summary": summary,
            "generator_url": generator_url,
            "source": source,
            "integration": integration,
            "received_at": received_at,
        },
    )
    _set(alert, "__pydantic_fields_set__", set(_FIELDS))
    _set(alert, "__pydantic_extra__", None)
    _set(alert, "__pydantic_private__", None)
    return alert


def unvalidated_received(alert: Alert) -> AlertReceived:
    """What `AlertReceived(alert=alert)` gives for an alert built above: ingest makes one for
    every alert it accepts, and validating it would only check that `alert` is an `Alert`."""
    event = AlertReceived.__new__(AlertReceived)
    _set(event, "__dict__", {"type": "AlertReceived", "alert": alert})
    _set(event, "__pydantic_fields_set__", {"alert"})
    _set(event, "__pydantic_extra__", None)
    _set(event, "__pydantic_private__", None)
    return event
