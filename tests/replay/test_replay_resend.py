"""A re-sent payload is normalized once: its later copies give the same alerts with their own
receive time, exactly as normalizing them again would, and only when nothing else of the
alerts came from the receive time."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import orjson
import pytest

from loadtests.storm.generate import generate, parser
from services.cli.config_bundle import load_tocsin_config
from services.cli.replay_input import OrderedInput, parse_payload
from services.cli.replay_normalize import Normalized, PayloadNormalizer, normalize_in_order
from services.cli.replay_resend import (
    HORIZON,
    ResendIndex,
    Resent,
    SentPayload,
    normalize_lines,
    resolve_resends,
    split_line,
)
from services.cli.replay_run import Replay
from services.cli.replay_tally import summary_lines
from services.ingest.config import IngestConfig

CONFIG = IngestConfig.model_validate(
    {"integrations": [{"name": "am", "type": "alertmanager", "token": "t"}]}
)


def _line(received_at: str, source: str, body: Any) -> bytes:
    return orjson.dumps({"received_at": received_at, "source": source, "payload": body})


def _webhook(starts_at: str | None) -> dict[str, Any]:
    alert: dict[str, Any] = {
        "status": "firing",
        "labels": {"alertname": "NodeDown", "instance": "node-7", "region": "eu"},
        "annotations": {"summary": "node-7 is down"},
        "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": "f360367101799a8a",
    }
    if starts_at is not None:
        alert["startsAt"] = starts_at
    return {"version": "4", "status": "firing", "receiver": "tocsin", "alerts": [alert]}


def _sent(lines: list[bytes]) -> list[SentPayload]:
    numbered = [(position, raw, f"in:{position + 1}") for position, raw in enumerate(lines)]
    return list(normalize_lines(numbered, PayloadNormalizer(CONFIG), ResendIndex()))


def _fresh(position: int, raw: bytes) -> Normalized:
    normalized = PayloadNormalizer(CONFIG).normalize(parse_payload(position, raw, "in"))
    assert isinstance(normalized, Normalized)
    return normalized


def test_resent_payload_gives_the_alerts_a_fresh_normalization_gives_at_its_own_time() -> None:
    body = _webhook("2026-11-02T00:02:30.640406Z")
    lines = [_line("2026-11-02T00:03:10Z", "alertmanager", body)]
    lines.append(_line("2026-11-02T00:04:20+01:00", "alertmanager", body))

    sent = _sent(lines)
    (_, first_at, _), (_, second_at, second) = list(resolve_resends(sent))

    assert sent[1][2] == Resent(0)
    fresh = _fresh(1, lines[1])
    assert isinstance(second, Normalized) and second.keys == fresh.keys
    assert second_at == fresh.alerts[0].received_at != first_at
    [resent], [expected] = second.alerts, fresh.alerts
    assert resent == expected
    assert resent.model_fields_set == expected.model_fields_set
    assert resent.model_dump_json() == expected.model_dump_json()


def test_payload_whose_start_is_its_receive_time_is_normalized_again() -> None:
    body = _webhook(starts_at=None)
    lines = [
        _line(at, "alertmanager", body) for at in ("2026-11-02T00:03:10Z", "2026-11-02T00:04:20Z")
    ]

    sent = _sent(lines)

    assert not isinstance(sent[1][2], Resent)
    assert sent[1][2] == _fresh(1, lines[1])


def test_canonical_alert_whose_status_follows_from_its_end_is_normalized_again() -> None:
    body = {
        "labels": {"alertname": "DiskFull", "instance": "node-7"},
        "starts_at": "2026-11-02T00:00:00Z",
        "ends_at": "2026-11-02T00:05:00Z",
    }
    lines = [
        _line(at, "canonical", body) for at in ("2026-11-02T00:03:10Z", "2026-11-02T00:06:00Z")
    ]

    (_, _, first), (_, _, second) = list(resolve_resends(_sent(lines)))

    assert isinstance(first, Normalized) and isinstance(second, Normalized)
    assert [first.alerts[0].status, second.alerts[0].status] == ["firing", "resolved"]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"source":"canonical","received_at":"2026-11-02T00:03:10Z","payload":{}}',
        b'{"received_at":"2026-11-02T00:03:10Z","payload":{},"received_at":"2026-11-02T00:09Z"}',
        b'{"received_at":"2026-11-02T00:03:10Z","payload":{"\\u0072eceived_at":"x"}}',
    ],
    ids=["not first", "named again", "escaped"],
)
def test_line_that_may_take_its_receive_time_from_elsewhere_is_never_a_resend(
    raw: bytes,
) -> None:
    assert split_line(raw) is None


def test_a_resend_is_known_only_within_the_horizon() -> None:
    index = ResendIndex()
    index.remember(b"rest", 0)
    assert index.original(b"rest", HORIZON - 1) == 0
    index.remember(b"other", HORIZON)
    assert index.original(b"rest", HORIZON) is None


@pytest.fixture(scope="module")
def storm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("storm")
    generate(parser().parse_args(["--out", str(folder), "--hours", "1", "--body", "mixed"]))
    return folder


def test_replay_with_resends_equals_replay_normalizing_every_payload(storm: Path) -> None:
    config = load_tocsin_config(storm / "tocsin.yaml")
    payloads = OrderedInput(storm / "alerts.jsonl")
    sent = _count_resent(
        normalize_lines(payloads.raw_lines(), PayloadNormalizer(config.ingest), ResendIndex())
    )
    assert sent > len(payloads) // 3

    cached, fresh = io.BytesIO(), io.BytesIO()
    cached_tally = Replay(config).run(payloads, cached)
    every = normalize_in_order(payloads, PayloadNormalizer(config.ingest))
    fresh_tally = Replay(config).run_normalized(every, fresh)

    assert cached.getvalue() == fresh.getvalue()
    assert summary_lines(cached_tally) == summary_lines(fresh_tally)


def _count_resent(sent: Any) -> int:
    return sum(1 for _, _, normalized in sent if isinstance(normalized, Resent))
