"""Compressed request bodies: gzip and deflate are read under the same size limit as plain
ones; any other coding, or a body that does not decompress, gets a 4xx saying so."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from tests.ingest.harness import AM_TOKEN, PD_KEY, Ingest, running_ingest

LIMIT = 65536  # max_body_bytes of the harness config
AM_HEADERS = {"Authorization": f"Bearer {AM_TOKEN}", "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def ingest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ingest]:
    with running_ingest(tmp_path_factory.mktemp("encoding")) as running:
        yield running


def _webhook(alertname: str) -> dict[str, Any]:
    return {
        "version": "4",
        "status": "firing",
        "receiver": "tocsin",
        "groupKey": f'{{}}:{{alertname="{alertname}"}}',
        "groupLabels": {"alertname": alertname},
        "commonLabels": {"alertname": alertname},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "truncatedAlerts": 0,
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": alertname, "instance": "node-7:9100"},
                "annotations": {"summary": "compressed"},
                "startsAt": "2026-11-27T06:49:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus:9090/graph",
                "fingerprint": "c0ffee0000000001",
            }
        ],
    }


def _post_encoded(ingest: Ingest, body: bytes, encoding: str) -> Any:
    headers = {**AM_HEADERS, "Content-Encoding": encoding}
    return ingest.post("/api/v1/alerts/alertmanager", content=body, headers=headers)


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("identity", bytes)],
)
def test_a_compressed_webhook_is_accepted_and_its_alert_logged(
    ingest: Ingest, encoding: str, compress: Any
) -> None:
    ingest.alerts()  # what earlier tests logged
    alertname = f"Compressed{encoding.title()}"

    answer = _post_encoded(ingest, compress(orjson.dumps(_webhook(alertname))), encoding)

    assert answer.status_code == 202, answer.text
    [logged] = ingest.alerts()
    assert logged.event.alert.labels["alertname"] == alertname


def test_a_gzip_pagerduty_event_gets_pagerdutys_202(ingest: Ingest) -> None:
    event = {
        "routing_key": PD_KEY,
        "event_action": "trigger",
        "dedup_key": "gzip-1",
        "payload": {"summary": "disk full", "source": "db-1", "severity": "critical"},
    }
    answer = ingest.post(
        "/v2/enqueue",
        content=gzip.compress(orjson.dumps(event)),
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )

    assert answer.status_code == 202, answer.text
    assert answer.json()["dedup_key"] == "gzip-1"


def test_a_small_body_expanding_past_the_limit_is_413(ingest: Ingest) -> None:
    ingest.alerts()
    webhook = _webhook("Bomb")
    webhook["alerts"][0]["annotations"]["description"] = "x" * (LIMIT * 4)
    compressed = gzip.compress(orjson.dumps(webhook))
    assert len(compressed) < LIMIT  # only the decompressed body is over

    answer = _post_encoded(ingest, compressed, "gzip")

    assert answer.status_code == 413
    assert "decompressed" in answer.json()["message"]
    assert ingest.alerts() == []


def test_an_unknown_coding_is_415_naming_it(ingest: Ingest) -> None:
    answer = _post_encoded(ingest, orjson.dumps(_webhook("Brotli")), "br")

    assert answer.status_code == 415
    assert "'br'" in answer.json()["message"]
    assert ingest.alerts() == []


def test_a_gzip_body_of_several_members_is_read_whole(ingest: Ingest) -> None:
    ingest.alerts()
    data = orjson.dumps(_webhook("Members"))
    middle = len(data) // 2  # as `cat a.gz b.gz` makes it (RFC 1952: members in a row)

    answer = _post_encoded(
        ingest, gzip.compress(data[:middle]) + gzip.compress(data[middle:]), "gzip"
    )

    assert answer.status_code == 202, answer.text
    [logged] = ingest.alerts()
    assert logged.event.alert.labels["alertname"] == "Members"


@pytest.mark.parametrize(
    "body",
    [
        b"not gzip at all",
        gzip.compress(b'{"version": "4"}')[:-12],
        gzip.compress(orjson.dumps(_webhook("Trailing"))) + b"trailing garbage",
    ],
    ids=["garbage", "truncated", "data after its end"],
)
def test_a_body_that_does_not_decompress_is_400(ingest: Ingest, body: bytes) -> None:
    answer = _post_encoded(ingest, body, "gzip")

    assert answer.status_code == 400
    assert "gzip" in answer.json()["message"]


def test_refusals_of_encoding_are_counted_under_a_documented_reason(ingest: Ingest) -> None:
    _post_encoded(ingest, b"{}", "compress")

    exposition = ingest.get("/metrics").text

    assert 'reason="unsupported_encoding"' in exposition
