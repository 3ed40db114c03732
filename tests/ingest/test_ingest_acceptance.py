"""The sink's own encoding: byte for byte what the shared codec writes."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import cast

import orjson
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from services.ingest.acceptance import (
    AlertSink,
    Entry,
    Submission,
    envelope_bytes,
    event_json,
    json_time,
    numbered_ids,
)
from services.ingest.metrics import IngestMetrics
from shared.alerts import Alert, Layer, Severity
from shared.events import AlertReceived, PayloadReceived, deterministic_id, encode_envelope, wrap
from shared.events.inputs import RequestParameters
from shared.log.port import EventLog, Outgoing
from shared.topics import ALERTS
from tests.support.sample_alert import ALERT, AT


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


def test_a_payload_envelope_with_its_request_is_what_the_shared_codec_writes() -> None:
    request = RequestParameters(action="close", identifier="checkout", identifier_type="alias")
    event = PayloadReceived(
        integration="genie", source="opsgenie", received_at=AT, body={"user": "bob"}
    )
    submission = Submission("genie", "opsgenie", {"user": "bob"}, AT, [], request)
    log = _Recorder()
    sink = AlertSink(cast(EventLog, log), 5.0, IngestMetrics(CollectorRegistry()))

    asyncio.run(sink.accept(submission))

    [record] = log.records
    event_id = uuid.UUID(orjson.loads(record.value)["event_id"])
    kept = event.model_copy(update={"request": request})
    assert record.value == encode_envelope(
        wrap(kept, key="genie", event_id=event_id, occurred_at=AT)
    )
    # the same body closing another alert at the same time is another request: another id
    body_only = hashlib.blake2b(orjson.dumps({"user": "bob"}), digest_size=16).hexdigest()
    assert event_id != deterministic_id("payload", "genie", body_only, json_time(AT))


def test_numbered_ids_are_the_deterministic_ids_of_each_index() -> None:
    parts = ("entry", "prom", "0f3c", AT.isoformat())

    expected = [str(deterministic_id(*parts, index)) for index in range(300)]

    assert numbered_ids(parts, 300) == expected


_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
_ZONES = st.sampled_from(
    [
        UTC,
        timezone(timedelta(0)),
        timezone(timedelta(hours=5, minutes=30)),
        timezone(-timedelta(hours=8)),
    ]
)
_TIMES = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=_ZONES
)


@given(
    labels=st.dictionaries(_TEXT, _TEXT, max_size=4),
    annotations=st.dictionaries(_TEXT, _TEXT, max_size=3),
    text=_TEXT,
    optional=st.one_of(st.none(), _TEXT),
    severity=st.sampled_from(Severity),
    layer=st.sampled_from(Layer),
    starts_at=_TIMES,
    ends_at=st.one_of(st.none(), _TIMES),
)
def test_alert_events_are_written_exactly_as_pydantic_writes_them(
    labels: dict[str, str],
    annotations: dict[str, str],
    text: str,
    optional: str | None,
    severity: Severity,
    layer: Layer,
    starts_at: datetime,
    ends_at: datetime | None,
) -> None:
    alert = Alert(
        fingerprint=text or "f",
        status="resolved" if ends_at else "firing",
        severity=severity,
        layer=layer,
        service=optional,
        team=text,
        labels=labels,
        annotations=annotations,
        starts_at=starts_at,
        ends_at=ends_at,
        summary=text,
        generator_url=optional,
        source="alertmanager",
        integration=text,
        received_at=starts_at,
    )
    event = AlertReceived(alert=alert)

    assert event_json(event) == event.model_dump_json().encode()
    # and the sink appends the record the shared codec writes for it.
    (record,) = [r for r in _appended([Entry(ALERTS, "region=x", event)]) if r.topic == ALERTS]
    event_id = uuid.UUID(orjson.loads(record.value)["event_id"])
    assert record.value == encode_envelope(
        wrap(event, key="region=x", event_id=event_id, occurred_at=AT)
    )


class _Recorder:
    """The log's `append`, keeping what it is given."""

    def __init__(self) -> None:
        self.records: list[Outgoing] = []

    async def append(self, records: Sequence[Outgoing]) -> None:
        self.records.extend(records)


def _appended(entries: list[Entry]) -> list[Outgoing]:
    log = _Recorder()
    sink = AlertSink(cast(EventLog, log), 5.0, IngestMetrics(CollectorRegistry()))
    asyncio.run(sink.accept(Submission("prom", "alertmanager", {"a": 1}, AT, entries)))
    return log.records
