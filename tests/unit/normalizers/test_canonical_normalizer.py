"""Tocsin's own alert JSON -> canonical alerts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.ingest.normalizers import (
    FieldError,
    InvalidPayload,
    LayerRule,
    NormalizeContext,
    normalize_canonical,
)
from shared.alerts import Alert, Layer, Severity
from shared.fingerprint import label_fingerprint

RECEIVED_AT = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
CTX = NormalizeContext("api", "tocsin", RECEIVED_AT)


def field_errors(body: Any, ctx: NormalizeContext = CTX) -> list[FieldError]:
    with pytest.raises(InvalidPayload) as caught:
        normalize_canonical(body, ctx)
    return caught.value.errors


def test_minimal_alert_fires_now_with_label_fingerprint_and_derived_fields() -> None:
    (alert,) = normalize_canonical({"labels": {"alertname": "QueueLag", "job": "billing"}}, CTX)

    assert alert == Alert(
        fingerprint=label_fingerprint({"alertname": "QueueLag", "job": "billing"}),
        status="firing",
        severity=Severity.WARNING,
        layer=Layer.APPLICATION,
        service="billing",
        labels={"alertname": "QueueLag", "job": "billing"},
        starts_at=RECEIVED_AT,
        summary="QueueLag",
        source="tocsin",
        integration="api",
        received_at=RECEIVED_AT,
    )


def test_explicit_fields_win_over_what_labels_imply() -> None:
    body = {
        "labels": {"alertname": "CheckoutDrop", "severity": "info", "team": "web", "host": "h1"},
        "annotations": {"summary": "from annotations", "runbook_url": "https://rb/1"},
        "status": "firing",
        "severity": "critical",
        "layer": "business",
        "service": "checkout",
        "team": "payments",
        "summary": "Checkout conversions dropped 40%",
        "starts_at": "2026-05-04T09:58:00Z",
        "ends_at": "2026-05-04T11:00:00+01:00",
        "fingerprint": "checkout-drop:eu",
        "generator_url": "https://grafana/d/1",
    }

    (alert,) = normalize_canonical(body, CTX)

    assert alert == Alert(
        fingerprint="checkout-drop:eu",
        status="firing",
        severity=Severity.CRITICAL,
        layer=Layer.BUSINESS,
        service="checkout",
        team="payments",
        labels=body["labels"],
        annotations=body["annotations"],
        starts_at=datetime(2026, 5, 4, 9, 58, tzinfo=UTC),
        ends_at=datetime(2026, 5, 4, 10, 0, tzinfo=UTC),
        summary="Checkout conversions dropped 40%",
        generator_url="https://grafana/d/1",
        source="tocsin",
        integration="api",
        received_at=RECEIVED_AT,
    )


def test_alertmanager_api_style_list_with_camel_case_times_is_accepted() -> None:
    body = [
        {"labels": {"alertname": "A"}, "startsAt": "2026-05-04T09:00:00Z"},
        {
            "labels": {"alertname": "B"},
            "endsAt": "2026-05-04T09:30:00Z",
            "generatorURL": "http://prom/graph",
        },
    ]

    first, second = normalize_canonical(body, CTX)

    assert (first.status, first.starts_at, first.ends_at) == (
        "firing",
        datetime(2026, 5, 4, 9, tzinfo=UTC),
        None,
    )
    # An end in the past without a status means resolved, as in Alertmanager.
    assert (second.status, second.ends_at, second.generator_url) == (
        "resolved",
        datetime(2026, 5, 4, 9, 30, tzinfo=UTC),
        "http://prom/graph",
    )


def test_firing_alert_without_end_gets_resolve_timeout() -> None:
    ctx = NormalizeContext("api", "tocsin", RECEIVED_AT, resolve_timeout=timedelta(minutes=5))

    (alert,) = normalize_canonical({"labels": {"alertname": "A"}}, ctx)

    assert alert.ends_at == RECEIVED_AT + timedelta(minutes=5)


def test_resolved_alert_without_end_ends_when_received() -> None:
    (alert,) = normalize_canonical({"labels": {"alertname": "A"}, "status": "resolved"}, CTX)

    assert (alert.status, alert.ends_at) == ("resolved", RECEIVED_AT)


def test_default_labels_and_layer_rules_apply() -> None:
    ctx = NormalizeContext(
        "api",
        "tocsin",
        RECEIVED_AT,
        default_labels={"env": "prod", "team": "core"},
        layer_rules=(LayerRule.parse('env=prod,alertname=~"Kafka.*"', "infrastructure"),),
    )

    (alert,) = normalize_canonical({"labels": {"alertname": "KafkaLag"}}, ctx)

    assert alert.labels == {"env": "prod", "team": "core", "alertname": "KafkaLag"}
    assert (alert.layer, alert.team) == (Layer.INFRASTRUCTURE, "core")
    assert alert.fingerprint == label_fingerprint({"alertname": "KafkaLag"})


def test_every_problem_of_an_alert_is_reported() -> None:
    body = {
        "labels": {"alertname": "", "x": 1},
        "status": "open",
        "severity": "sev1",
        "layer": "network",
        "starts_at": "2026-05-04T10:00:00Z",
        "startsAt": "2026-05-04T10:00:00Z",
        "ends_at": "2026-05-04T09:00:00Z",
        "fingerprint": "has spaces",
        "colour": "red",
    }

    assert field_errors(body) == [
        FieldError("colour", "is not a known field"),
        FieldError("startsAt", "must not be given together with starts_at"),
        FieldError("labels.x", "must be a string"),
        FieldError("labels.alertname", "is required"),
        FieldError("status", "must be one of: firing, resolved"),
        FieldError(
            "fingerprint", "must be 1-64 characters of letters, digits, '.', '_', ':' or '-'"
        ),
        FieldError("severity", "must be one of: critical, error, warning, info"),
        FieldError("layer", "must be one of: infrastructure, application, business"),
        FieldError("ends_at", "must not be before the start time"),
    ]


def test_list_items_are_reported_by_index_and_reject_the_whole_batch() -> None:
    body = [{"labels": {"alertname": "ok"}}, {"annotations": {}}, 3]

    assert field_errors(body) == [
        FieldError("[1].labels", "is required"),
        FieldError("[2]", "must be an object"),
    ]


@pytest.mark.parametrize("body", ["alert", 1, None, True])
def test_body_must_be_an_object_or_a_list(body: Any) -> None:
    assert field_errors(body) == [FieldError("$", "must be an alert object or an array of them")]


def test_empty_list_is_valid_and_yields_nothing() -> None:
    assert normalize_canonical([], CTX) == ()


def test_unencodable_text_is_rejected_before_anything_is_hashed() -> None:
    body = json.loads('[{"labels": {"alertname": "\\ud800"}}]')

    assert field_errors(body) == [
        FieldError("[0].labels.alertname", "must not contain unpaired surrogates")
    ]
