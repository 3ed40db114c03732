"""Heartbeats: check-ins over their endpoint, watchdog alerts turned into check-ins, config."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.events import AlertDropped, AlertReceived, HeartbeatReceived
from tests.ingest.harness import (
    AM_TOKEN,
    HEARTBEAT_TOKEN,
    JSON_TOKEN,
    OTHER_HEARTBEAT_TOKEN,
    PD_KEY,
    START,
    Ingest,
    running_ingest,
)

AM = {"Authorization": f"Bearer {AM_TOKEN}"}


@pytest.fixture
def ingest(tmp_path: Path) -> Iterator[Ingest]:
    with running_ingest(tmp_path) as running:
        yield running


def webhook(*alerts: dict[str, Any]) -> dict[str, Any]:
    return {"version": "4", "status": "firing", "receiver": "tocsin", "alerts": list(alerts)}


def am_alert(alertname: str, status: str = "firing", **labels: str) -> dict[str, Any]:
    alert: dict[str, Any] = {
        "status": status,
        "labels": {"alertname": alertname, **labels},
        "startsAt": "2026-11-27T06:00:00Z",
        "endsAt": "2026-11-27T06:49:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
    }
    return alert


def test_a_check_in_is_keyed_by_the_domain_of_the_heartbeats_labels(ingest: Ingest) -> None:
    answer = ingest.post(
        "/api/v1/heartbeats/prometheus", headers={"Authorization": f"Bearer {HEARTBEAT_TOKEN}"}
    )

    assert (answer.status_code, answer.json()) == (
        202,
        {"status": "success", "heartbeat": "prometheus"},
    )
    [logged] = ingest.alerts()
    assert logged.key == "region=eu-west"
    assert logged.event == HeartbeatReceived(name="prometheus", received_at=START)
    assert ingest.payloads() == []


def test_every_check_in_is_a_new_event(ingest: Ingest) -> None:
    headers = {"Authorization": f"Bearer {OTHER_HEARTBEAT_TOKEN}"}
    ingest.post("/api/v1/heartbeats/batch", content=b"any body at all", headers=headers)
    later = ingest.clock.advance(60)
    ingest.post("/api/v1/heartbeats/batch", headers=headers)

    first, second = ingest.alerts()
    assert first.envelope.event_id != second.envelope.event_id
    assert second.event == HeartbeatReceived(name="batch", received_at=later)
    assert second.key == "region=us-east"


@pytest.mark.parametrize(
    ("name", "header", "status"),
    [
        ("prometheus", None, 401),
        ("prometheus", "Bearer wrong-token", 401),
        ("prometheus", f"Bearer {AM_TOKEN}", 401),  # an integration's token is no heartbeat's
        ("prometheus", f"Bearer {OTHER_HEARTBEAT_TOKEN}", 403),  # another heartbeat's token
        ("nope", f"Bearer {HEARTBEAT_TOKEN}", 404),
        ("nope", "Bearer wrong-token", 401),  # names are not revealed to strangers
    ],
)
def test_check_ins_without_the_heartbeats_own_token_are_refused(
    ingest: Ingest, name: str, header: str | None, status: int
) -> None:
    headers = {"Authorization": header} if header else {}

    answer = ingest.post(f"/api/v1/heartbeats/{name}", headers=headers)

    assert answer.status_code == status
    assert answer.json()["status"] == "error"
    assert HEARTBEAT_TOKEN not in answer.text and OTHER_HEARTBEAT_TOKEN not in answer.text
    assert ingest.alerts() == []


def test_a_404_repeats_at_most_a_hundred_characters_of_an_unknown_name(ingest: Ingest) -> None:
    headers = {"Authorization": f"Bearer {HEARTBEAT_TOKEN}"}

    answer = ingest.post(f"/api/v1/heartbeats/{'a' * 5000}", headers=headers)

    assert (answer.status_code, answer.json()) == (
        404,
        {"status": "error", "message": f"no heartbeat is named {'a' * 100}... (5000 characters)"},
    )


def test_a_firing_watchdog_alert_is_a_check_in_and_not_an_alert(ingest: Ingest) -> None:
    body = webhook(am_alert("Watchdog", region="ap-south"), am_alert("NodeDown", region="eu-west"))

    answer = ingest.post("/api/v1/alerts/alertmanager", body, headers=AM)

    assert (answer.status_code, answer.json()) == (202, {"status": "success", "accepted": 2})
    logged = ingest.alerts()
    heartbeats = [e for e in logged if isinstance(e.event, HeartbeatReceived)]
    alerts = [e.event for e in logged if isinstance(e.event, AlertReceived)]
    assert [(e.key, e.event) for e in heartbeats] == [
        (
            "region=eu-west",
            HeartbeatReceived(name="prometheus", received_at=START, integration="prom"),
        )
    ]
    assert [a.alert.alertname for a in alerts] == ["NodeDown"]
    metrics = ingest.get("/metrics").text
    assert 'tocsin_ingest_heartbeats_total{heartbeat="prometheus",via="watchdog"} 1.0' in metrics
    assert 'tocsin_ingest_alerts_accepted_total{integration="prom"} 1.0' in metrics


def test_a_watchdog_arriving_through_any_integration_is_a_check_in(ingest: Ingest) -> None:
    ingest.post(
        "/api/v1/alerts",
        {"labels": {"alertname": "Watchdog"}},
        headers={"Authorization": f"Bearer {JSON_TOKEN}"},
    )
    pd_trigger = {
        "routing_key": PD_KEY,
        "event_action": "trigger",
        "payload": {"summary": "Watchdog", "severity": "info", "source": "prometheus"},
    }
    ingest.post("/v2/enqueue", pd_trigger)

    events = [e.event for e in ingest.alerts()]
    assert events == [
        HeartbeatReceived(name="prometheus", received_at=START, integration="json"),
        HeartbeatReceived(name="prometheus", received_at=START, integration="pd"),
    ]


def test_a_resolved_watchdog_is_dropped_aloud_and_is_no_check_in(ingest: Ingest) -> None:
    body = webhook(am_alert("Watchdog", status="resolved"))
    body["alerts"][0]["fingerprint"] = "0123456789abcdef"

    answer = ingest.post("/api/v1/alerts/alertmanager", body, headers=AM)

    assert answer.status_code == 202
    assert ingest.alerts() == []
    drops = [e for e in ingest.payloads() if isinstance(e.event, AlertDropped)]
    assert [(e.key, e.event) for e in drops] == [
        (
            "prom",
            AlertDropped(
                integration="prom",
                fingerprint="0123456789abcdef",
                reason="resolved watchdog of heartbeat prometheus",
                received_at=START,
            ),
        )
    ]
