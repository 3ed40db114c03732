"""One alert with the awkward parts encoders get wrong: microseconds, non-ASCII label names and
values, quotes, a newline and U+2028 in an annotation."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.alerts import Alert

AT = datetime(2026, 11, 27, 6, 50, 0, 123456, tzinfo=UTC)
ALERT = Alert(
    fingerprint="a1b2c3d4e5f60718",
    status="firing",
    severity="critical",
    layer="infrastructure",
    labels={"alertname": "NodeDown", "instance": "node-7", "région": "eu-west ✓"},
    annotations={"summary": 'node-7 is "unreachable"\n\u2028'},
    starts_at=AT,
    source="alertmanager",
    integration="prom",
    received_at=AT,
)
