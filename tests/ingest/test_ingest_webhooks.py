"""Alertmanager, Grafana and canonical JSON over HTTP: the events each body puts on the log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.events import AlertReceived, PayloadReceived
from tests.ingest.harness import (
    AM_TOKEN,
    CONFIG,
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


SKEWED = "must not be more than 1h after the receive time: is the sender's clock right?"
TIMED_OUT = (
    "must not be later than the receive time plus resolve_timeout (5m) for an alert without"
    " an end: it would end before it starts"
)
TWO_HOURS_AHEAD = (START + timedelta(hours=2)).isoformat()


def _webhook_alert_starting(fixture: str, starts_at: str) -> dict[str, object]:
    body = json.loads((PAYLOADS / fixture).read_text())
    body["alerts"][0]["startsAt"] = starts_at
    return body  # its end stays Go's zero time: no end


@pytest.mark.parametrize(
    ("path", "token", "body", "field", "message"),
    [
        pytest.param(
            "/api/v1/alerts",
            JSON_TOKEN,
            {"labels": {"alertname": "A"}, "starts_at": "9999-12-31T23:59:59Z"},
            "starts_at",
            TIMED_OUT,
            id="canonical-audited-year-9999",
        ),
        pytest.param(
            "/api/v1/alerts",
            JSON_TOKEN,
            [
                {
                    "labels": {"alertname": "A"},
                    "startsAt": (START + timedelta(minutes=6)).isoformat(),
                }
            ],
            "[0].startsAt",
            TIMED_OUT,
            id="api-v2-past-the-resolve-timeout",
        ),
        pytest.param(
            "/api/v1/alerts",
            JSON_TOKEN,
            {
                "labels": {"alertname": "A"},
                "startsAt": TWO_HOURS_AHEAD,
                "endsAt": "9999-12-31T23:59:59Z",
            },
            "startsAt",
            SKEWED,
            id="api-v2-with-an-end-2h-ahead",
        ),
        pytest.param(
            "/api/v1/alerts/alertmanager",
            AM_TOKEN,
            _webhook_alert_starting("alertmanager_webhook_v4.json", TWO_HOURS_AHEAD),
            "alerts[0].startsAt",
            SKEWED,
            id="alertmanager-2h-ahead",
        ),
        pytest.param(
            "/api/v1/alerts/grafana",
            GRAFANA_TOKEN,
            _webhook_alert_starting("grafana_webhook.json", TWO_HOURS_AHEAD),
            "alerts[0].startsAt",
            SKEWED,
            id="grafana-2h-ahead",
        ),
    ],
)
def test_a_start_too_far_after_receipt_is_a_422_naming_it(
    tmp_path: Path, path: str, token: str, body: object, field: str, message: str
) -> None:
    # The canonical integration gives alerts without an end a resolve_timeout, as Alertmanager.
    json_line = f"{{name: json, type: canonical, token: {JSON_TOKEN}}}"
    assert json_line in CONFIG
    config = CONFIG.replace(json_line, json_line[:-1] + ", resolve_timeout: 5m}")
    with running_ingest(tmp_path, config) as ingest:
        answer = ingest.post(path, body, headers=bearer(token))
        alerts, payloads = ingest.alerts(), ingest.payloads()

    assert answer.status_code == 422
    assert answer.json() == {
        "status": "error",
        "message": "the payload is invalid",
        "errors": [{"field": field, "message": message}],
    }
    assert alerts == [] and payloads == []


def test_a_start_within_the_skew_is_accepted_without_a_resolve_timeout(ingest: Ingest) -> None:
    starts_at = START + timedelta(minutes=30)
    body = {"labels": {"alertname": "A"}, "starts_at": starts_at.isoformat()}

    answer = ingest.post("/api/v1/alerts", body, headers=bearer(JSON_TOKEN))

    assert answer.status_code == 202
    [logged] = ingest.alerts()
    assert isinstance(logged.event, AlertReceived)
    assert (logged.event.alert.starts_at, logged.event.alert.ends_at) == (starts_at, None)
