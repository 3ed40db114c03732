"""The read model reads a record's type off its first bytes, and decodes when it cannot."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from services.router.peek import peek_type
from shared.events import TickOccurred, deterministic_id, encode_envelope, wrap
from tests.unit.router.test_escalation import opened

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def test_type_of_records_the_codec_wrote_is_read_without_decoding() -> None:
    for event in (TickOccurred(at=T0), opened(["payments"])):
        envelope = wrap(event, key="k", event_id=deterministic_id("peek"), occurred_at=T0)
        assert peek_type(encode_envelope(envelope)) == envelope.type


def test_records_in_another_layout_are_left_to_the_decoder() -> None:
    envelope = wrap(TickOccurred(at=T0), key="k", event_id=deterministic_id("x"), occurred_at=T0)
    spaced = orjson.loads(encode_envelope(envelope))
    assert peek_type(orjson.dumps(spaced, option=orjson.OPT_INDENT_2)) is None
    reordered = {"type": spaced["type"], **spaced}
    assert peek_type(orjson.dumps(reordered)) is None
    assert peek_type(b"") is None
    assert peek_type(b'{"event_id":"' + b"0" * 36 + b'","type":"Tick\\u004fccurred"}') is None
