"""Bodies real senders post, over HTTP: what ingest answers each source, and what it stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from services.ingest.nesting import MAX_BODY_DEPTH, nested_too_deeply
from services.ingest.normalizers.grafana import grafana_label_set
from shared.events import AlertReceived, PayloadReceived
from shared.fingerprint import label_fingerprint
from tests.ingest.harness import (
    AM_TOKEN,
    GENIE_KEY,
    GRAFANA_TOKEN,
    JSON_TOKEN,
    PD_KEY,
    Ingest,
    running_ingest,
)


@pytest.fixture
def ingest(tmp_path: Path) -> Iterator[Ingest]:
    with running_ingest(tmp_path) as running:
        yield running


def nested(depth: int) -> Any:
    """`depth` levels of arrays: `[[...[]...]]`."""
    value: list[Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


TOO_DEEP = f"must not be nested more than {MAX_BODY_DEPTH} levels deep"


def test_a_valid_webhook_nested_deeper_than_the_log_stores_is_a_422_not_a_500(
    ingest: Ingest,
) -> None:
    # Newer Alertmanagers add fields a receiver must ignore; one of them nested 300 deep.
    body = {"version": "4", "status": "firing", "alerts": [], "routeLabels": nested(300)}

    answer = ingest.post(
        "/api/v1/alerts/alertmanager", body, headers={"Authorization": f"Bearer {AM_TOKEN}"}
    )

    assert (answer.status_code, answer.json()) == (
        422,
        {
            "status": "error",
            "message": "the payload is invalid",
            "errors": [{"field": "$", "message": TOO_DEEP}],
        },
    )
    assert ingest.alerts() == [] and ingest.payloads() == []


def test_a_pagerduty_event_with_custom_details_nested_too_deep_is_an_invalid_event(
    ingest: Ingest,
) -> None:
    body = {
        "routing_key": PD_KEY,
        "event_action": "trigger",
        "payload": {
            "summary": "disk full",
            "source": "db-1",
            "severity": "critical",
            "custom_details": {"trace": nested(300)},
        },
    }

    answer = ingest.post("/v2/enqueue", body)

    assert (answer.status_code, answer.json()) == (
        400,
        {
            "status": "invalid event",
            "message": "Event object is invalid",
            "errors": [f"'$' {TOO_DEEP}"],
        },
    )
    assert ingest.alerts() == [] and ingest.payloads() == []


def test_an_opsgenie_create_nested_too_deep_is_a_422_in_opsgenies_shape(ingest: Ingest) -> None:
    body = {"message": "disk full", "responders": nested(300)}

    answer = ingest.post("/v2/alerts", body, headers={"Authorization": f"GenieKey {GENIE_KEY}"})

    assert answer.status_code == 422
    assert answer.json()["errors"] == {"$": TOO_DEEP}
    assert ingest.alerts() == [] and ingest.payloads() == []


def test_a_body_as_deep_as_the_limit_is_accepted_and_its_record_decodes(ingest: Ingest) -> None:
    body = {"version": "4", "status": "firing", "alerts": [], "x": nested(MAX_BODY_DEPTH - 1)}

    answer = ingest.post(
        "/api/v1/alerts/alertmanager", body, headers={"Authorization": f"Bearer {AM_TOKEN}"}
    )

    assert answer.status_code == 202
    [payload] = ingest.payloads()  # decoded as export and replay decode it
    assert isinstance(payload.event, PayloadReceived) and payload.event.body == body


@pytest.mark.parametrize(
    ("body", "too_deep"),
    [
        (None, False),
        ("text", False),
        (nested(MAX_BODY_DEPTH), False),
        (nested(MAX_BODY_DEPTH + 1), True),
        ({"a": [{"b": nested(MAX_BODY_DEPTH - 2)}]}, True),
        ({"a": [{"b": nested(MAX_BODY_DEPTH - 3)}], "c": {"d": 1}}, False),
    ],
)
def test_nesting_counts_every_object_and_array_level(body: Any, too_deep: bool) -> None:
    assert nested_too_deeply(body) is too_deep


def grafana_alert(labels: dict[str, str], fingerprint: str | None) -> dict[str, Any]:
    """One alert as Grafana 10's webhook contact point sends it."""
    alert: dict[str, Any] = {
        "status": "firing",
        "labels": labels,
        "annotations": {"summary": "disk almost full"},
        "startsAt": "2026-11-27T06:45:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "https://grafana.example/alerting/grafana/ddx1/view",
        "silenceURL": "https://grafana.example/alerting/silence/new",
        "dashboardURL": "",
        "panelURL": "",
        "values": {"A": 97.5},
        "valueString": "[ var='A' labels={host.name=web-1} value=97.5 ]",
    }
    if fingerprint is not None:
        alert["fingerprint"] = fingerprint
    return alert


def grafana_body(*alerts: dict[str, Any]) -> dict[str, Any]:
    return {
        "receiver": "tocsin",
        "status": "firing",
        "orgId": 1,
        "alerts": list(alerts),
        "groupLabels": {"alertname": "DiskFull"},
        "commonLabels": {"alertname": "DiskFull"},
        "commonAnnotations": {},
        "externalURL": "https://grafana.example/",
        "version": "1",
        "groupKey": '{}/{}:{alertname="DiskFull"}',
        "truncatedAlerts": 0,
        "title": "[FIRING:1] DiskFull",
        "state": "alerting",
        "message": "**Firing**",
    }


def test_grafana_labels_named_as_a_query_names_them_are_renamed_as_grafana_does(
    ingest: Ingest,
) -> None:
    # An Elasticsearch query grouped by `host.name`: Grafana keeps the name, Alertmanager
    # 0.25 would refuse it; Grafana renames it so for an external Alertmanager.
    labels = {"alertname": "DiskFull", "host.name": "web-1", "1st zone": "eu", "région": "a"}
    body = grafana_body(grafana_alert(labels, "c6eadffa33fcdf37"))

    answer = ingest.post(
        "/api/v1/alerts/grafana", body, headers={"Authorization": f"Bearer {GRAFANA_TOKEN}"}
    )

    assert (answer.status_code, answer.json()) == (202, {"status": "success", "accepted": 1})
    [logged] = ingest.alerts()
    assert isinstance(logged.event, AlertReceived)
    alert = logged.event.alert
    assert alert.labels == {
        "_stzone": "eu",
        "alertname": "DiskFull",
        "host_name": "web-1",
        "r0xe9gion": "a",
    }
    assert alert.fingerprint == "c6eadffa33fcdf37"  # Grafana's, whatever the names
    [payload] = ingest.payloads()
    assert isinstance(payload.event, PayloadReceived) and payload.event.body == body


def test_a_renamed_grafana_label_that_collides_gets_a_hash_of_its_original_name() -> None:
    renamed = grafana_label_set({"host_name": "b", "host.name": "a", "   ": "c"})

    assert renamed == {"host_name": "a", "host_name_de2cd1": "b"}


def test_grafana_labels_with_valid_names_are_kept_as_they_are(ingest: Ingest) -> None:
    labels = {"alertname": "DiskFull", "instance": "web-1", "grafana_folder": "infra"}
    body = grafana_body(grafana_alert(labels, None))

    answer = ingest.post(
        "/api/v1/alerts/grafana", body, headers={"Authorization": f"Bearer {GRAFANA_TOKEN}"}
    )

    assert answer.status_code == 202
    [logged] = ingest.alerts()
    assert isinstance(logged.event, AlertReceived)
    assert logged.event.alert.labels == labels
    assert logged.event.alert.fingerprint == label_fingerprint(labels)


def test_alerts_of_an_invalid_body_are_counted_as_rejected_by_integration_and_reason(
    ingest: Ingest,
) -> None:
    bad = {"status": "firing", "labels": {"alertname": "A", "bad-name": "x"}}
    good = {"status": "firing", "labels": {"alertname": "B"}}
    body = {"version": "4", "status": "firing", "alerts": [good, bad, good]}
    am = {"Authorization": f"Bearer {AM_TOKEN}"}

    assert ingest.post("/api/v1/alerts/alertmanager", body, headers=am).status_code == 422
    assert ingest.post("/v2/enqueue", {"routing_key": PD_KEY}).status_code == 400
    canonical = [{"labels": {"alertname": "C"}, "status": "on fire"}] * 2
    json_auth = {"Authorization": f"Bearer {JSON_TOKEN}"}
    assert ingest.post("/api/v1/alerts", canonical, headers=json_auth).status_code == 422

    metrics = ingest.get("/metrics").text
    for line in (
        'tocsin_ingest_alerts_rejected_total{integration="prom",reason="invalid"} 3.0',
        'tocsin_ingest_alerts_rejected_total{integration="pd",reason="invalid"} 1.0',
        'tocsin_ingest_alerts_rejected_total{integration="json",reason="invalid"} 2.0',
        'tocsin_ingest_requests_rejected_total{integration="prom",reason="invalid",'
        'source="alertmanager"} 1.0',
    ):
        assert line in metrics


def test_acknowledge_and_change_events_accepted_are_counted_as_their_refusals_are(
    ingest: Ingest,
) -> None:
    pd = {"routing_key": PD_KEY, "dedup_key": "disk-1"}
    genie = {"Authorization": f"GenieKey {GENIE_KEY}"}
    assert ingest.post("/v2/enqueue", {**pd, "event_action": "acknowledge"}).status_code == 202
    change = {"routing_key": PD_KEY, "payload": {"summary": "deploy 42", "source": "ci"}}
    assert ingest.post("/v2/change/enqueue", change).status_code == 202
    ack = "/v2/alerts/db-down/acknowledge?identifierType=alias"
    assert ingest.post(ack, {"user": "ops"}, headers=genie).status_code == 202

    metrics = ingest.get("/metrics").text
    assert 'tocsin_ingest_alerts_accepted_total{integration="pd"} 2.0' in metrics
    assert 'tocsin_ingest_alerts_accepted_total{integration="genie"} 1.0' in metrics
