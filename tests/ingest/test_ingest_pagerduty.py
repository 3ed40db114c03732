"""PagerDuty Events API v2 over HTTP: what each event puts on the log, and PagerDuty's answers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from services.ingest.normalizers import NormalizeContext
from services.ingest.normalizers.pagerduty import normalize_pagerduty_event, pagerduty_fingerprint
from shared.alerts import Alert
from shared.events import AlertReceived, ChangeRecorded, PayloadReceived
from shared.events.inputs import AlertAcknowledgedAtSource, ChangeLink
from tests.ingest.harness import (
    AM_TOKEN,
    CONFIG,
    PD_DISABLED_KEY,
    PD_KEY,
    PD_OTHER_KEY,
    START,
    Ingest,
    partition_of,
    running_ingest,
)


@pytest.fixture
def ingest(tmp_path: Path) -> Iterator[Ingest]:
    with running_ingest(tmp_path) as running:
        yield running


def trigger(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "routing_key": PD_KEY,
        "event_action": "trigger",
        "dedup_key": "srv01/mysql",
        "payload": {
            "summary": "DISK at 99% on prod-datapipe03",
            "severity": "critical",
            "source": "prod-datapipe03",
            "component": "mysql",
            "custom_details": {"free space": "1%"},
        },
        "client": "Sample Monitoring Service",
    }
    return {**body, **overrides}


def test_trigger_is_stored_as_an_alert_keyed_by_the_integrations_default_labels(
    ingest: Ingest,
) -> None:
    answer = ingest.post("/v2/enqueue", trigger())

    assert answer.status_code == 202
    assert answer.json() == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "srv01/mysql",
    }
    [logged] = ingest.alerts()
    assert (logged.key, logged.partition) == ("region=eu-west", partition_of("region=eu-west"))
    assert logged.envelope.occurred_at == START
    assert logged.event == AlertReceived(
        alert=Alert(
            fingerprint=pagerduty_fingerprint("pd", "srv01/mysql"),
            status="firing",
            severity="critical",
            layer="application",
            service=None,
            team="storage",
            labels={
                "region": "eu-west",
                "team": "storage",
                "alertname": "DISK at 99% on prod-datapipe03",
                "severity": "critical",
                "source": "prod-datapipe03",
                "component": "mysql",
                "dedup_key": "srv01/mysql",
            },
            annotations={
                "free space": "1%",
                "client": "Sample Monitoring Service",
                "summary": "DISK at 99% on prod-datapipe03",
            },
            starts_at=START,
            summary="DISK at 99% on prod-datapipe03",
            source="pagerduty",
            integration="pd",
            received_at=START,
        )
    )


def test_enqueue_with_a_trailing_slash_as_pypd_posts_it_is_served(ingest: Ingest) -> None:
    answer = ingest.post("/v2/enqueue/", trigger())

    assert answer.status_code == 202
    assert answer.json()["dedup_key"] == "srv01/mysql"
    [logged] = ingest.alerts()
    assert isinstance(logged.event, AlertReceived)


def test_the_routing_key_is_redacted_in_the_stored_body(ingest: Ingest) -> None:
    ingest.post("/v2/enqueue", trigger())

    [payload] = ingest.payloads()
    assert isinstance(payload.event, PayloadReceived)
    assert payload.event.body == {**trigger(), "routing_key": "[redacted]"}
    assert (payload.event.integration, payload.event.source) == ("pd", "pagerduty")
    assert PD_KEY.encode() not in payload.raw


def test_a_trigger_without_dedup_key_is_answered_the_key_its_stored_body_derives(
    ingest: Ingest,
) -> None:
    body = trigger()
    del body["dedup_key"]

    answer = ingest.post("/v2/enqueue", body)

    key = answer.json()["dedup_key"]
    assert re.fullmatch("[0-9a-f]{32}", key)
    [payload] = ingest.payloads()
    assert isinstance(payload.event, PayloadReceived)
    stored = payload.event.body
    assert stored["routing_key"] == "[redacted]"
    replayed = normalize_pagerduty_event(stored, NormalizeContext("pd", "pagerduty", START))
    assert replayed.dedup_key == key
    [alert] = ingest.alerts()
    assert isinstance(alert.event, AlertReceived)
    assert alert.event.alert.fingerprint == pagerduty_fingerprint("pd", key)


def test_acknowledge_and_resolve_reach_the_partition_of_their_trigger(tmp_path: Path) -> None:
    # The domain includes `component`, which the trigger sets and a resolve cannot carry.
    config = CONFIG.replace("domain_labels: [region]", "domain_labels: [region, component]")
    with running_ingest(tmp_path, config) as ingest:
        ingest.post("/v2/enqueue", trigger())
        acked_at = ingest.clock.advance(60)
        ingest.post(
            "/v2/enqueue",
            {"routing_key": PD_KEY, "event_action": "acknowledge", "dedup_key": "srv01/mysql"},
        )
        resolved_at = ingest.clock.advance(60)
        answer = ingest.post(
            "/v2/enqueue",
            {"routing_key": PD_KEY, "event_action": "resolve", "dedup_key": "srv01/mysql"},
        )
        triggered, acked, resolved = ingest.alerts()

    assert answer.json()["dedup_key"] == "srv01/mysql"
    fingerprint = pagerduty_fingerprint("pd", "srv01/mysql")
    assert {e.key for e in (triggered, acked, resolved)} == {"region=eu-west,component="}
    assert acked.event == AlertAcknowledgedAtSource(
        integration="pd", source="pagerduty", fingerprint=fingerprint, received_at=acked_at
    )
    assert isinstance(resolved.event, AlertReceived)
    assert resolved.event.alert.fingerprint == fingerprint
    assert resolved.event.alert.status == "resolved"
    assert resolved.event.alert.ends_at == resolved_at


def test_a_change_event_is_recorded_on_payloads_and_never_reaches_alerts(ingest: Ingest) -> None:
    body = {
        "routing_key": PD_KEY,
        "payload": {
            "summary": "Build Success: increase snapshot timeout",
            "timestamp": "2026-11-27T06:42:58.315+0000",
            "source": "build-pipeline",
            "custom_details": {"build_number": "2"},
        },
        "links": [{"href": "https://ci.example.com/build/2", "text": "build 2"}],
    }

    answer = ingest.post("/v2/change/enqueue", body)

    assert (answer.status_code, answer.json()) == (
        202,
        {"status": "success", "message": "Change event processed"},
    )
    assert ingest.alerts() == []
    payload, change = ingest.payloads()
    assert isinstance(payload.event, PayloadReceived)
    assert isinstance(change.event, ChangeRecorded)
    assert change.key == "pd"
    assert change.event.model_dump(exclude={"key"}) == ChangeRecorded(
        integration="pd",
        summary="Build Success: increase snapshot timeout",
        source="build-pipeline",
        occurred_at=datetime(2026, 11, 27, 6, 42, 58, 315000, tzinfo=UTC),
        received_at=START,
        details={"build_number": "2"},
        labels={"region": "eu-west", "team": "storage"},
        team="storage",
        links=(ChangeLink(href="https://ci.example.com/build/2", text="build 2"),),
    ).model_dump(exclude={"key"})


def test_the_same_body_posted_again_later_is_a_new_notification(ingest: Ingest) -> None:
    ingest.post("/v2/enqueue", trigger())
    ingest.clock.advance(3600)
    ingest.post("/v2/enqueue", trigger())

    first, second = ingest.alerts()
    assert first.envelope.event_id != second.envelope.event_id


def test_an_invalid_event_is_answered_400_in_pagerdutys_shape_naming_each_field(
    ingest: Ingest,
) -> None:
    body = trigger(payload={"summary": "x", "severity": "fatal"}, event_action="trigger")

    answer = ingest.post("/v2/enqueue", body)

    assert answer.status_code == 400
    assert answer.json() == {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": [
            "'payload.severity' must be one of: critical, error, warning, info",
            "'payload.source' is required",
        ],
    }
    assert ingest.alerts() == [] and ingest.payloads() == []


def test_a_trigger_timestamped_2h_ahead_is_answered_400_naming_it(ingest: Ingest) -> None:
    body = trigger()
    body["payload"]["timestamp"] = "2026-11-27T08:50:00Z"  # received at 06:50

    answer = ingest.post("/v2/enqueue", body)

    assert answer.status_code == 400
    assert answer.json() == {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": [
            "'payload.timestamp' must not be more than 1h after the receive time:"
            " is the sender's clock right?"
        ],
    }
    assert ingest.alerts() == [] and ingest.payloads() == []


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b'{"event_action": "trigger"}', "'routing_key' is required"),
        (b'{"routing_key": 7}', "'routing_key' must be a string"),
        (b"[1, 2]", "'$' must be an object"),
        (b'{"routing_key": ', "'$' is not valid JSON"),
    ],
)
def test_a_body_without_a_usable_routing_key_is_a_400_naming_it(
    ingest: Ingest, raw: bytes, error: str
) -> None:
    answer = ingest.post("/v2/enqueue", content=raw)

    assert answer.status_code == 400
    body = answer.json()
    assert (body["status"], body["message"]) == ("invalid event", "Event object is invalid")
    [message] = body["errors"]
    assert message.startswith(error)


@pytest.mark.parametrize(
    ("key", "status"),
    [
        ("ffffffffffffffffffffffffffffffff", 401),  # nobody's
        (AM_TOKEN, 401),  # an Alertmanager integration's token
        (PD_DISABLED_KEY, 403),
    ],
)
def test_routing_keys_that_grant_nothing_are_refused_without_being_echoed(
    ingest: Ingest, key: str, status: int
) -> None:
    answer = ingest.post("/v2/enqueue", trigger(routing_key=key))

    assert answer.status_code == status
    assert set(answer.json()) == {"status", "message", "errors"}
    assert key not in answer.text
    assert ingest.alerts() == [] and ingest.payloads() == []


def test_each_routing_key_names_its_own_integration(ingest: Ingest) -> None:
    ingest.post("/v2/enqueue", trigger(routing_key=PD_OTHER_KEY))

    [logged] = ingest.alerts()
    assert isinstance(logged.event, AlertReceived)
    assert logged.event.alert.integration == "pd-other"
    assert logged.event.alert.fingerprint == pagerduty_fingerprint("pd-other", "srv01/mysql")
    assert logged.key == "region=us-east"
