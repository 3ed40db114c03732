"""Alertmanager, Grafana and canonical JSON over HTTP: the events each body puts on the log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared.events import AlertReceived, PayloadReceived
from tests.ingest.harness import (
    AM_TOKEN,
    GRAFANA_TOKEN,
    JSON_TOKEN,
    START,
    Ingest,
    partition_of,
    running_ingest,
)

PAYLOADS = Path(__file__).resolve().parents[1] / "unit" / "normalizers" / "payloads"


@pytest.fixture
def ingest(tmp_path: Path) -> Iterator[Ingest]:
    with running_ingest(tmp_path) as running:
        yield running


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_alertmanager_alerts_keep_their_fingerprints_and_are_keyed_by_their_domain(
    ingest: Ingest,
) -> None:
    body = json.loads((PAYLOADS / "alertmanager_webhook_v4.json").read_text())
    body["alerts"][0]["labels"]["region"] = "eu-west"

    answer = ingest.post("/api/v1/alerts/alertmanager", body, headers=bearer(AM_TOKEN))

    assert (answer.status_code, answer.json()) == (
        202,
        {"status": "success", "accepted": len(body["alerts"])},
    )
    logged = ingest.alerts()
    by_fingerprint = {
        e.event.alert.fingerprint: e for e in logged if isinstance(e.event, AlertReceived)
    }
    assert sorted(by_fingerprint) == sorted(a["fingerprint"] for a in body["alerts"])
    first = by_fingerprint[body["alerts"][0]["fingerprint"]]
    assert (first.key, first.partition) == ("region=eu-west", partition_of("region=eu-west"))
    [payload] = ingest.payloads()
    assert payload.event == PayloadReceived(
        integration="prom", source="alertmanager", received_at=START, body=body
    )


def test_grafana_alerts_are_stored_with_grafanas_extras(ingest: Ingest) -> None:
    body = json.loads((PAYLOADS / "grafana_webhook.json").read_text())

    answer = ingest.post("/api/v1/alerts/grafana", body, headers=bearer(GRAFANA_TOKEN))

    assert answer.status_code == 202
    alerts = [e.event.alert for e in ingest.alerts() if isinstance(e.event, AlertReceived)]
    assert len(alerts) == len(body["alerts"])
    assert {a.source for a in alerts} == {"grafana"}
    assert {a.integration for a in alerts} == {"grafana"}


def test_canonical_json_takes_alertmanager_api_bodies_unchanged(ingest: Ingest) -> None:
    body = [
        {
            "labels": {"alertname": "CheckoutDown", "region": "eu-west", "severity": "page"},
            "annotations": {"summary": "checkout is down"},
            "startsAt": "2026-11-27T06:45:00Z",
            "generatorURL": "http://prometheus:9090/graph",
        },
        {"labels": {"alertname": "Slow", "region": "us-east"}, "status": "resolved"},
    ]

    answer = ingest.post("/api/v1/alerts", body, headers=bearer(JSON_TOKEN))

    assert (answer.status_code, answer.json()) == (202, {"status": "success", "accepted": 2})
    events = {e.key: e.event for e in ingest.alerts()}
    down, slow = events["region=eu-west"], events["region=us-east"]
    assert isinstance(down, AlertReceived) and isinstance(slow, AlertReceived)
    assert (down.alert.severity, down.alert.starts_at) == (
        "critical",
        datetime(2026, 11, 27, 6, 45, tzinfo=UTC),
    )
    assert (slow.alert.status, slow.alert.ends_at) == ("resolved", START)


def test_an_invalid_alert_rejects_the_whole_body_naming_each_field(ingest: Ingest) -> None:
    body = {"alerts": [{"status": "firing", "labels": {"alertname": "A", "bad-name": "x"}}]}

    answer = ingest.post("/api/v1/alerts/alertmanager", body, headers=bearer(AM_TOKEN))

    assert answer.status_code == 422
    assert answer.json() == {
        "status": "error",
        "message": "the payload is invalid",
        "errors": [
            {
                "field": 'alerts[0].labels["bad-name"]',
                "message": "is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)",
            }
        ],
    }
    assert ingest.alerts() == [] and ingest.payloads() == []
