"""PagerDuty Events API v2 -> canonical results (PagerDuty's documented example events)."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from services.ingest.normalizers import (
    ChangeEvent,
    ChangeLink,
    FieldError,
    InvalidPayload,
    NormalizeContext,
    PagerDutyAcknowledged,
    PagerDutyResolved,
    PagerDutyTriggered,
    normalize_pagerduty_change,
    normalize_pagerduty_event,
    pagerduty_accepted_body,
    pagerduty_change_accepted_body,
    pagerduty_error_body,
    pagerduty_fingerprint,
)
from services.ingest.normalizers.pagerduty import generated_key, redacted
from shared.alerts import Alert, Layer, Severity

RECEIVED_AT = datetime(2015, 7, 17, 8, 43, tzinfo=UTC)
CTX = NormalizeContext("pd-main", "pagerduty", RECEIVED_AT, default_labels={"env": "prod"})
# PagerDuty's documented change event happened five years after its trigger.
CHANGE_RECEIVED_AT = datetime(2020, 7, 17, 8, 43, tzinfo=UTC)
CHANGE_CTX = CTX.at(CHANGE_RECEIVED_AT)
SRV01_FINGERPRINT = hashlib.sha256(b"pagerduty\0pd-main\0srv01/mysql").hexdigest()[:32]
SUMMARY = "DISK at 99% on machine prod-datapipe03.example.com"


def documented(name: str) -> Any:
    return json.loads((Path(__file__).parent / "payloads" / f"pagerduty_{name}.json").read_text())


def field_errors(body: Any) -> list[FieldError]:
    with pytest.raises(InvalidPayload) as caught:
        normalize_pagerduty_event(body, CTX)
    return caught.value.errors


def test_documented_trigger_becomes_a_firing_alert() -> None:
    result = normalize_pagerduty_event(documented("trigger"), CTX)

    assert result == PagerDutyTriggered(
        dedup_key="srv01/mysql",
        alert=Alert(
            fingerprint=SRV01_FINGERPRINT,
            status="firing",
            severity=Severity.CRITICAL,
            layer=Layer.APPLICATION,
            labels={
                "env": "prod",
                "alertname": SUMMARY,
                "severity": "critical",
                "source": "prod-datapipe03.example.com",
                "component": "mysql",
                "group": "prod-datapipe",
                "class": "disk",
                "dedup_key": "srv01/mysql",
            },
            annotations={
                "free space": "1%",
                "ping time": "1500ms",
                "load avg": "0.75",
                "client": "Sample Monitoring Service",
                "client_url": "https://monitoring.service.com",
                "summary": SUMMARY,
            },
            starts_at=datetime(2015, 7, 17, 8, 42, 58, 315000, tzinfo=UTC),
            summary=SUMMARY,
            generator_url="https://monitoring.service.com",
            source="pagerduty",
            integration="pd-main",
            received_at=RECEIVED_AT,
        ),
    )
    assert pagerduty_fingerprint("pd-main", "srv01/mysql") == SRV01_FINGERPRINT


def test_documented_acknowledge_carries_the_triggers_fingerprint() -> None:
    result = normalize_pagerduty_event(documented("acknowledge"), CTX)

    assert result == PagerDutyAcknowledged(
        dedup_key="srv01/mysql",
        fingerprint=SRV01_FINGERPRINT,
        integration="pd-main",
        received_at=RECEIVED_AT,
    )


def test_documented_resolve_becomes_a_resolved_alert_with_the_triggers_fingerprint() -> None:
    result = normalize_pagerduty_event(documented("resolve"), CTX)

    assert result == PagerDutyResolved(
        dedup_key="srv01/mysql",
        alert=Alert(
            fingerprint=SRV01_FINGERPRINT,
            status="resolved",
            severity=Severity.WARNING,
            layer=Layer.APPLICATION,
            labels={"env": "prod", "dedup_key": "srv01/mysql"},
            starts_at=RECEIVED_AT,
            ends_at=RECEIVED_AT,
            source="pagerduty",
            integration="pd-main",
            received_at=RECEIVED_AT,
        ),
    )


def test_trigger_without_dedup_key_gets_one_from_integration_and_stored_body() -> None:
    body = documented("trigger")
    del body["dedup_key"]
    stored = {**body, "routing_key": "[redacted]"}
    compact = json.dumps(stored, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    expected = hashlib.sha256(f"pd-main\n{compact}".encode()).hexdigest()[:32]

    first = normalize_pagerduty_event(body, CTX)
    again = normalize_pagerduty_event(json.loads(json.dumps(body)), CTX)
    other = normalize_pagerduty_event(body | {"client": "other"}, CTX)

    assert first.dedup_key == expected
    assert re.fullmatch("[0-9a-f]{32}", first.dedup_key)
    assert again == first
    assert other.dedup_key != expected


def test_a_trigger_with_a_blank_dedup_key_gets_one_made_as_without_one() -> None:
    body = documented("trigger")
    blank = {**body, "dedup_key": "   "}

    made = normalize_pagerduty_event(blank, CTX).dedup_key

    assert made.strip() and re.fullmatch("[0-9a-f]{32}", made)  # a resolve can name it


def test_generated_dedup_key_of_the_stored_body_is_the_one_the_posted_body_got() -> None:
    body = documented("trigger")
    del body["dedup_key"]

    live = normalize_pagerduty_event(body, CTX)
    replayed = normalize_pagerduty_event(redacted(body), CTX)

    assert replayed == live
    assert redacted(body)["routing_key"] == "[redacted]"


def test_generated_dedup_key_is_scoped_to_the_integration_not_its_credential() -> None:
    body = documented("trigger")
    del body["dedup_key"]
    other_integration = NormalizeContext("pd-other", "pagerduty", RECEIVED_AT)

    key = normalize_pagerduty_event(body, CTX).dedup_key
    rotated = normalize_pagerduty_event(body | {"routing_key": "f" * 32}, CTX).dedup_key
    elsewhere = normalize_pagerduty_event(body, other_integration).dedup_key

    assert rotated == key == generated_key("pd-main", body)
    assert elsewhere != key


def test_change_event_key_of_the_stored_body_is_the_one_the_posted_body_got() -> None:
    body = documented("change")

    stored = normalize_pagerduty_change(redacted(body), CHANGE_CTX)

    assert stored == normalize_pagerduty_change(body, CHANGE_CTX)


def test_custom_details_that_are_not_an_object_become_one_annotation() -> None:
    body = documented("trigger")
    body["payload"]["custom_details"] = ["disk", 99]

    result = normalize_pagerduty_event(body, CTX)

    assert isinstance(result, PagerDutyTriggered)
    assert result.alert.annotations["custom_details"] == '["disk",99]'


@pytest.mark.parametrize(
    ("links", "runbook"),
    [
        (
            [{"href": "https://wiki.example/rb/disk", "text": "Runbook: disk full"}],
            "https://wiki.example/rb/disk",
        ),
        (
            [
                {"href": "https://grafana.example/d/1", "text": "Dashboard"},
                {"href": "https://wiki.example/rb/1", "text": "runbook"},
                {"href": "https://wiki.example/rb/2", "text": "Other runbook"},
            ],
            "https://wiki.example/rb/1",
        ),
        ([{"href": "https://wiki.example/x", "text": "An example link."}], None),
        ([{"text": "runbook"}, "not a link", {"href": 7, "text": "runbook"}], None),
        ("not a list", None),
    ],
)
def test_a_trigger_link_whose_text_says_runbook_becomes_the_runbook_annotation(
    links: Any, runbook: str | None
) -> None:
    body = documented("trigger")
    body["links"] = links

    result = normalize_pagerduty_event(body, CTX)

    assert isinstance(result, PagerDutyTriggered)
    assert result.alert.annotations.get("runbook_url") == runbook


def test_a_runbook_url_in_custom_details_wins_over_a_runbook_link() -> None:
    body = documented("trigger")
    body["payload"]["custom_details"] = {"runbook_url": "https://wiki.example/own"}
    body["links"] = [{"href": "https://wiki.example/link", "text": "Runbook"}]

    result = normalize_pagerduty_event(body, CTX)

    assert isinstance(result, PagerDutyTriggered)
    assert result.alert.annotations["runbook_url"] == "https://wiki.example/own"


def test_invalid_trigger_reports_every_field_the_way_pagerduty_checks_them() -> None:
    body = documented("trigger") | {"routing_key": "", "dedup_key": "k" * 256}
    body["payload"] |= {"severity": "Critical", "summary": "s" * 1025, "timestamp": "17/07/2015"}
    del body["payload"]["source"]

    assert field_errors(body) == [
        FieldError("routing_key", "must not be blank"),
        FieldError("dedup_key", "must be at most 255 characters"),
        FieldError("payload.summary", "must be at most 1024 characters"),
        FieldError("payload.severity", "must be one of: critical, error, warning, info"),
        FieldError("payload.source", "is required"),
        FieldError("payload.timestamp", "must be an RFC 3339 timestamp with a time zone"),
    ]


def test_acknowledge_and_resolve_need_a_dedup_key() -> None:
    body = documented("resolve")
    del body["dedup_key"]

    assert field_errors(body) == [FieldError("dedup_key", "is required")]


def test_missing_action_and_payload_are_reported() -> None:
    assert field_errors({"routing_key": "k", "event_action": "trigger"}) == [
        FieldError("payload", "is required")
    ]
    assert field_errors({"routing_key": "k", "event_action": "escalate"}) == [
        FieldError("event_action", "must be one of: trigger, acknowledge, resolve")
    ]


def test_error_body_has_pagerdutys_exact_shape() -> None:
    with pytest.raises(InvalidPayload) as caught:
        normalize_pagerduty_event({"event_action": "trigger", "payload": {}}, CTX)

    assert pagerduty_error_body(caught.value) == {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": [
            "'routing_key' is required",
            "'payload.summary' is required",
            "'payload.severity' is required",
            "'payload.source' is required",
        ],
    }


def test_accepted_bodies_have_pagerdutys_exact_shape() -> None:
    result = normalize_pagerduty_event(documented("acknowledge"), CTX)

    assert pagerduty_accepted_body(result) == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "srv01/mysql",
    }
    assert pagerduty_change_accepted_body() == {
        "status": "success",
        "message": "Change event processed",
    }


def test_documented_change_event_becomes_a_change_event() -> None:
    body = documented("change")
    stored = {**body, "routing_key": "[redacted]"}
    compact = json.dumps(stored, sort_keys=True, separators=(",", ":"))
    key = hashlib.sha256(f"pd-main\n{compact}".encode()).hexdigest()

    assert normalize_pagerduty_change(body, CHANGE_CTX) == ChangeEvent(
        key=key[:32],
        summary="Build Success: Increase snapshot create timeout to 30 seconds",
        emitter="acme-build-pipeline-tool-default-i-9999",
        occurred_at=datetime(2020, 7, 17, 8, 42, 58, 315000, tzinfo=UTC),
        labels={"env": "prod"},
        details={"build_state": "passed", "build_number": "2", "run_time": "1236s"},
        links=(
            ChangeLink(
                href="https://acme.pagerduty.dev/build/2", text="View more details in Acme!"
            ),
        ),
        source="pagerduty",
        integration="pd-main",
        received_at=CHANGE_RECEIVED_AT,
    )


def test_invalid_change_event_reports_its_fields() -> None:
    body = {"payload": {"summary": " ", "custom_details": {"n": {"deep": True}}}, "links": [{}]}

    with pytest.raises(InvalidPayload) as caught:
        normalize_pagerduty_change(body, CTX)

    assert caught.value.errors == [
        FieldError("routing_key", "is required"),
        FieldError("payload.summary", "must not be blank"),
        FieldError("links[0].href", "is required"),
    ]
