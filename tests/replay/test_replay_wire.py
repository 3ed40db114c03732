"""Normalized payloads cross from a worker to the engine's process unchanged: every alert comes
back equal, field by field, in type, in its set fields and in JSON."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from services.cli.replay_normalize import Normalized, PayloadNormalizer, Skipped
from services.cli.replay_resend import ResendIndex, Resent, SentPayload, normalize_lines
from services.cli.replay_wire import decode_chunk, encode_chunk
from services.ingest.config import IngestConfig
from shared.alerts import Alert, Layer, Severity

CONFIG = IngestConfig.model_validate(
    {
        "integrations": [{"name": "am", "type": "alertmanager", "token": "t"}],
        "heartbeats": [
            {"name": "backup", "interval": "1h", "token": "hb", "labels": {"region": "eu"}},
            {"name": "prometheus", "interval": "5m", "watchdog": "alertname=Watchdog"},
        ],
    }
)


def _line(received_at: str, alert: dict[str, object]) -> bytes:
    body = {"version": "4", "status": "firing", "receiver": "tocsin", "alerts": [alert]}
    return orjson.dumps({"received_at": received_at, "source": "alertmanager", "payload": body})


def _sent() -> list[SentPayload]:
    firing = {
        "status": "firing",
        "labels": {"alertname": "NodeDown", "instance": "node-7", "region": "eu"},
        "annotations": {"summary": "node-7 is down"},
        "startsAt": "2026-11-02T00:02:30.640406Z",
        "endsAt": "0001-01-01T00:00:00Z",
    }
    resolved = {**firing, "status": "resolved", "endsAt": "2026-11-02T02:09:00+02:00"}
    lines = [
        _line("2026-11-02T00:03:10Z", firing),
        _line("2026-11-02T00:04:10Z", firing),
        _line("2026-11-02T00:09:10Z", resolved),
        orjson.dumps({"received_at": "2026-11-02T00:10:00Z", "source": "nagios", "payload": {}}),
        orjson.dumps(
            {
                "received_at": "2026-11-02T00:11:00Z",
                "source": "heartbeat",
                "payload": {"name": "backup"},
            }
        ),
        _line("2026-11-02T00:12:00Z", {**firing, "labels": {"alertname": "Watchdog"}}),
    ]
    numbered = [(position, raw, f"in:{position + 1}") for position, raw in enumerate(lines)]
    return list(normalize_lines(numbered, PayloadNormalizer(CONFIG), ResendIndex()))


def _assert_same(back: list[SentPayload], sent: list[SentPayload]) -> None:
    assert back == sent
    for (_, back_at, back_payload), (_, at, payload) in zip(back, sent, strict=True):
        assert back_at == at and back_at.tzinfo == at.tzinfo
        if isinstance(payload, Normalized):
            assert isinstance(back_payload, Normalized)
            for returned, alert in zip(back_payload.alerts, payload.alerts, strict=True):
                assert list(returned.__dict__.items()) == list(alert.__dict__.items())
                assert [type(v) for v in returned.__dict__.values()] == [
                    type(v) for v in alert.__dict__.values()
                ]
                assert returned.model_fields_set == alert.model_fields_set
                assert returned.model_dump_json() == alert.model_dump_json()


def test_normalized_resent_and_skipped_payloads_come_back_as_they_were_sent() -> None:
    sent = _sent()
    kinds = [Normalized, Resent, Normalized, Skipped, Normalized, Normalized]
    assert [type(payload) for _, _, payload in sent] == kinds

    _assert_same(decode_chunk(encode_chunk(sent)), sent)


def test_heartbeat_check_ins_come_back_with_their_domains() -> None:
    *_, (_, _, posted), (_, _, watchdog) = decode_chunk(encode_chunk(_sent()))

    assert posted == Normalized((), (), 0, (("backup", "region=eu"),))
    assert watchdog == Normalized((), (), 1, (("prometheus", "region="),))


def test_an_alert_built_with_fields_left_unset_keeps_them_unset() -> None:
    alert = Alert(
        fingerprint="f1",
        status="firing",
        severity=Severity.INFO,
        layer=Layer.BUSINESS,
        labels={"alertname": "Checkout"},
        starts_at=datetime(2026, 11, 2, tzinfo=UTC),
        source="canonical",
        integration="json",
        received_at=datetime(2026, 11, 2, 0, 1, tzinfo=UTC),
    )
    sent: list[SentPayload] = [(0, alert.received_at, Normalized((alert,), ("eu",)))]

    _assert_same(decode_chunk(encode_chunk(sent)), sent)


def test_a_chunk_json_cannot_carry_is_pickled_and_still_comes_back() -> None:
    alert = _sent()[0][2]
    assert isinstance(alert, Normalized)
    odd = alert.alerts[0].model_copy(update={"summary": "broken \ud800 text"})
    sent: list[SentPayload] = [(0, odd.received_at, Normalized((odd,), ("eu",)))]

    data = encode_chunk(sent)

    assert not data.startswith(b"[")
    [(_, _, back)] = decode_chunk(data)
    assert isinstance(back, Normalized) and back.alerts[0].__dict__ == odd.__dict__
