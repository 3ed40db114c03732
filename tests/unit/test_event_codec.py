"""The envelope codec: the bytes on the log, how they read back, and deterministic ids."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from pydantic import TypeAdapter, ValidationError

from shared.events import (
    AlertReceived,
    ChangeRecorded,
    Event,
    IncidentAcknowledged,
    IncidentOpened,
    NotificationRequested,
    PayloadReceived,
    decode_envelope,
    decode_event,
    deterministic_id,
    encode_envelope,
    unwrap,
    wrap,
)
from shared.events.codec import forget_encoded, remember_encoded
from shared.events.envelope import EVENT_NAMESPACE
from shared.events.inputs import ChangeLink
from tests.support.sample_alert import ALERT, AT

EVENTS: list[Event] = [
    AlertReceived(alert=ALERT),
    IncidentOpened(
        rule="route 0 (route)",
        ruleset_version="v1",
        reason="first alert of its group",
        incident_id="INC-d9eb449a88",
        domain="region=eu-west",
        title="NodeDown on node-7",
        priority="P1",
        receivers=["oncall"],
        group_key='{}:{alertname="NodeDown"}',
        opened_at=AT,
        notify_after=AT + timedelta(seconds=30),
        alert=ALERT,
        resolve_grace=timedelta(minutes=5, microseconds=250),
    ),
    NotificationRequested(
        notification_id="n-1",
        incident_id="INC-d9eb449a88",
        domain="region=eu-west",
        target="alice",
        channel="console",
        requested_at=AT,
        page={"score": 0.1, "big": 1e16, "tiny": 5e-324, "nested": [{"ü": None}], "n": 3},
        reason="step 1",
    ),
    PayloadReceived(
        integration="json", source="canonical", received_at=AT, body=[{"n": 1.5, "t": "\x1f"}]
    ),
    ChangeRecorded(
        integration="pd",
        summary="deploy",
        occurred_at=AT.astimezone(timezone(timedelta(hours=-5))),
        received_at=AT,
        details={"at": "2026", "values": [1, 2.25]},
        links=(ChangeLink(href="https://example.com/1"),),
    ),
]
_TIME: TypeAdapter[datetime] = TypeAdapter(datetime)


def reference_bytes(event: Event, key: str, event_id: uuid.UUID, at: datetime) -> bytes:
    """The format as first defined: the envelope in pydantic's JSON mode, through orjson."""
    envelope: dict[str, Any] = {
        "event_id": str(event_id),
        "type": event.model_dump()["type"],
        "schema_version": event.SCHEMA_VERSION,
        "occurred_at": _TIME.dump_python(at, mode="json"),
        "key": key,
        "payload": event.model_dump(mode="json"),
    }
    return orjson.dumps(envelope)


def test_an_encoded_record_is_byte_for_byte_the_pinned_format() -> None:
    event = IncidentAcknowledged(incident_id="INC-d9eb449a88", by="alice", at=AT)
    event_id = deterministic_id("pinned", 1)

    encoded = encode_envelope(wrap(event, key="region=eu-west", event_id=event_id, occurred_at=AT))

    assert encoded == (
        b'{"event_id":"efe665fe-b854-5200-bf21-84b17f759f52","type":"IncidentAcknowledged",'
        b'"schema_version":1,"occurred_at":"2026-11-27T06:50:00.123456Z","key":"region=eu-west",'
        b'"payload":{"type":"IncidentAcknowledged","incident_id":"INC-d9eb449a88","by":"alice",'
        b'"at":"2026-11-27T06:50:00.123456Z"}}'
    )


@pytest.mark.parametrize("event", EVENTS, ids=lambda event: type(event).__name__)
def test_every_event_encodes_as_pydantic_json_mode_through_orjson(event: Event) -> None:
    event_id = deterministic_id("input", 7)

    encoded = encode_envelope(wrap(event, key="k ✓", event_id=event_id, occurred_at=AT))

    assert encoded == reference_bytes(event, "k ✓", event_id, AT)


@pytest.mark.parametrize("event", EVENTS, ids=lambda event: type(event).__name__)
def test_both_readers_give_back_the_event_and_its_metadata(event: Event) -> None:
    event_id = deterministic_id("input", 8)
    encoded = encode_envelope(wrap(event, key="k", event_id=event_id, occurred_at=AT))
    forget_encoded()

    eager, lazy = decode_event(encoded), decode_envelope(encoded)

    for envelope in (eager, lazy):
        assert unwrap(envelope) == event
        assert (envelope.event_id, envelope.key, envelope.occurred_at) == (event_id, "k", AT)
        assert envelope.payload == event.model_dump(mode="json")
        assert encode_envelope(envelope) == encoded


@pytest.fixture
def remembering() -> Iterator[None]:
    remember_encoded(8)
    yield
    remember_encoded(0)


@pytest.mark.parametrize("event", EVENTS, ids=lambda event: type(event).__name__)
@pytest.mark.usefixtures("remembering")
def test_bytes_this_process_encoded_read_back_as_decoding_them_would(event: Event) -> None:
    written = wrap(event, key="k", event_id=deterministic_id("recent", 1), occurred_at=AT)
    encoded = encode_envelope(written)

    remembered = decode_event(encoded), decode_envelope(encoded)
    forget_encoded()
    decoded = decode_event(encoded)

    assert remembered == (written, written)
    assert decoded == written
    assert unwrap(decoded).model_dump() == event.model_dump()
    assert encode_envelope(decoded) == encoded


@pytest.mark.usefixtures("remembering")
def test_only_the_latest_encoded_envelopes_are_remembered() -> None:
    written = [
        wrap(AlertReceived(alert=ALERT), key="k", event_id=deterministic_id(n), occurred_at=AT)
        for n in range(8 + 1)
    ]
    encoded = [encode_envelope(envelope) for envelope in written]

    assert decode_event(encoded[0]) is not written[0]  # validated again, as any record read
    assert decode_event(encoded[0]) == written[0]
    assert decode_event(encoded[-1]) is written[-1]


def test_without_remembering_every_record_read_is_validated_again() -> None:
    written = wrap(
        AlertReceived(alert=ALERT), key="k", event_id=deterministic_id(9), occurred_at=AT
    )

    decoded = decode_event(encode_envelope(written))

    assert decoded is not written
    assert decoded == written


def test_equal_instants_at_different_offsets_keep_the_offset_they_were_written_with() -> None:
    event = IncidentAcknowledged(incident_id="INC-1", by="bob", at=AT)
    plus_one = AT.astimezone(timezone(timedelta(hours=1)))
    event_id = deterministic_id("offsets")

    in_utc = encode_envelope(wrap(event, key="k", event_id=event_id, occurred_at=AT))
    in_plus_one = encode_envelope(wrap(event, key="k", event_id=event_id, occurred_at=plus_one))

    assert b'"occurred_at":"2026-11-27T06:50:00.123456Z"' in in_utc
    assert b'"occurred_at":"2026-11-27T07:50:00.123456+01:00"' in in_plus_one
    assert decode_event(in_plus_one).occurred_at.utcoffset() == timedelta(hours=1)


def test_a_record_whose_payload_is_no_known_event_does_not_decode() -> None:
    event_id = deterministic_id("poison")
    record = orjson.dumps(
        {
            "event_id": str(event_id),
            "type": "Nonsense",
            "schema_version": 1,
            "occurred_at": "2026-11-27T06:50:00Z",
            "key": "k",
            "payload": {"type": "Nonsense"},
        }
    )

    with pytest.raises(ValidationError):
        decode_event(record)
    with pytest.raises(ValidationError):
        unwrap(decode_envelope(record))


def test_a_record_with_a_time_without_offset_does_not_decode() -> None:
    encoded = encode_envelope(
        wrap(AlertReceived(alert=ALERT), key="k", event_id=deterministic_id("x"), occurred_at=AT)
    )
    naive = encoded.replace(
        b'"occurred_at":"2026-11-27T06:50:00.123456Z"', b'"occurred_at":"2026-11-27T06:50:00"'
    )

    with pytest.raises(ValidationError):
        decode_event(naive)


def test_wrapping_refuses_a_time_without_offset() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        wrap(
            AlertReceived(alert=ALERT),
            key="k",
            event_id=uuid.uuid4(),
            occurred_at=AT.replace(tzinfo=None),
        )


@pytest.mark.parametrize(
    "parts",
    [("x", 1), (uuid.UUID("efe665fe-b854-5200-bf21-84b17f759f52"), 0), ("tick", "t", 3, AT), ()],
)
def test_deterministic_ids_are_uuid5_of_the_parts_joined_by_unit_separators(
    parts: tuple[object, ...],
) -> None:
    expected = uuid.uuid5(EVENT_NAMESPACE, "\x1f".join(str(part) for part in parts))

    assert deterministic_id(*parts) == expected
    assert deterministic_id(*parts).version == 5
