"""The sink's own encoding: byte for byte what the shared codec writes."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from services.ingest.acceptance import envelope_bytes, json_time, numbered_ids
from shared.alerts import Alert
from shared.events import AlertReceived, PayloadReceived, deterministic_id, encode_envelope, wrap

AT = datetime(2026, 11, 27, 6, 50, 0, 123456, tzinfo=UTC)
ALERT = Alert(
    fingerprint="a1b2c3d4e5f60718",
    status="firing",
    severity="critical",
    layer="infrastructure",
    labels={"alertname": "NodeDown", "instance": "node-7", "région": "eu-west ✓"},
    annotations={"summary": 'node-7 is "unreachable"\n'},
    starts_at=AT,
    source="alertmanager",
    integration="prom",
    received_at=AT,
)


def test_an_alert_envelope_decodes_as_the_shared_codecs_does() -> None:
    event = AlertReceived(alert=ALERT)
    event_id = deterministic_id("x", 1)
    shared = encode_envelope(wrap(event, key="region=eu-west", event_id=event_id, occurred_at=AT))

    ours = envelope_bytes(
        orjson.Fragment(event.model_dump_json()),
        "AlertReceived",
        AlertReceived.SCHEMA_VERSION,
        event_id,
        "region=eu-west",
        json_time(AT),
    )

    assert ours == shared


def test_a_payload_envelope_keeps_the_body_as_posted() -> None:
    body = [{"labels": {"alertname": "A"}, "n": 1.5, "deep": [[{}]], "text": "ü\u2028"}]
    event = PayloadReceived(integration="json", source="canonical", received_at=AT, body=body)
    event_id = deterministic_id("payload", 1)
    shared = encode_envelope(wrap(event, key="json", event_id=event_id, occurred_at=AT))
    payload = {
        "type": "PayloadReceived",
        "integration": "json",
        "source": "canonical",
        "received_at": json_time(AT),
        "body": orjson.Fragment(orjson.dumps(body)),
    }

    ours = envelope_bytes(payload, "PayloadReceived", 1, event_id, "json", json_time(AT))

    assert ours == shared


def test_numbered_ids_are_the_deterministic_ids_of_each_index() -> None:
    parts = ("entry", "prom", "0f3c", AT.isoformat())

    assert numbered_ids(parts, 12) == [deterministic_id(*parts, index) for index in range(12)]
