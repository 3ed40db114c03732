"""Alertmanager webhook v4 -> canonical alerts (payload recorded from Alertmanager 0.25)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.ingest.normalizers import (
    FieldError,
    InvalidPayload,
    Limits,
    NormalizeContext,
    WebhookGroup,
    normalize_alertmanager,
    unescape_receiver,
)
from shared.alerts import Alert, Layer, Severity
from shared.fingerprint import label_fingerprint

RECEIVED_AT = datetime(2026, 11, 27, 6, 50, tzinfo=UTC)
STARTS_AT = datetime(2026, 11, 27, 6, 49, 15, 86990, tzinfo=UTC)


def recorded() -> Any:
    return json.loads((Path(__file__).parent / "payloads/alertmanager_webhook_v4.json").read_text())


def context(**overrides: Any) -> NormalizeContext:
    return replace(NormalizeContext("am-main", "alertmanager", RECEIVED_AT), **overrides)


def disk_full(instance: str, fingerprint: str, **changes: Any) -> Alert:
    fields: dict[str, Any] = {
        "fingerprint": fingerprint,
        "status": "firing",
        "severity": Severity.WARNING,
        "layer": Layer.INFRASTRUCTURE,
        "labels": {"alertname": "DiskFull", "instance": instance, "severity": "warning"},
        "annotations": {"runbook": "r" + instance[1], "summary": "disk almost full"},
        "starts_at": STARTS_AT,
        "summary": "disk almost full",
        "source": "alertmanager",
        "integration": "am-main",
        "received_at": RECEIVED_AT,
    }
    return Alert(**(fields | changes))


def field_errors(body: Any, ctx: NormalizeContext | None = None) -> list[FieldError]:
    with pytest.raises(InvalidPayload) as caught:
        normalize_alertmanager(body, ctx or context())
    return caught.value.errors


def test_recorded_webhook_becomes_one_canonical_alert_per_alert() -> None:
    result = normalize_alertmanager(recorded(), context())

    assert result.alerts == (
        disk_full("i1", "ff87fab9a4226e28"),
        disk_full("i2", "5c6d9cdbacfde259"),
    )


def test_recorded_webhook_returns_its_group_beside_the_alerts() -> None:
    result = normalize_alertmanager(recorded(), context())

    assert result.group == WebhookGroup(
        receiver="web",
        group_key='{}:{alertname="DiskFull"}',
        status="firing",
        group_labels={"alertname": "DiskFull"},
        common_labels={"alertname": "DiskFull", "severity": "warning"},
        common_annotations={"summary": "disk almost full"},
        external_url="http://127.0.0.1:19093",
        truncated_alerts=0,
    )


def test_our_label_fingerprint_equals_the_one_alertmanager_sent() -> None:
    body = recorded()
    for alert in body["alerts"]:
        del alert["fingerprint"]

    result = normalize_alertmanager(body, context())

    assert [a.fingerprint for a in result.alerts] == ["ff87fab9a4226e28", "5c6d9cdbacfde259"]


def test_non_hex_fingerprint_falls_back_to_the_label_fingerprint() -> None:
    body = recorded()
    body["alerts"][0]["fingerprint"] = "not-hex!"

    result = normalize_alertmanager(body, context())

    assert result.alerts[0].fingerprint == "ff87fab9a4226e28"


def test_firing_alert_without_end_gets_resolve_timeout_when_configured() -> None:
    result = normalize_alertmanager(recorded(), context(resolve_timeout=timedelta(minutes=5)))

    assert result.alerts[0].ends_at == RECEIVED_AT + timedelta(minutes=5)


def test_resolved_alert_keeps_its_end_time() -> None:
    body = recorded()
    body["status"] = "resolved"
    body["alerts"][0] |= {"status": "resolved", "endsAt": "2026-11-27T06:49:45.5Z"}

    result = normalize_alertmanager(body, context())

    assert result.alerts[0] == disk_full(
        "i1",
        "ff87fab9a4226e28",
        status="resolved",
        ends_at=datetime(2026, 11, 27, 6, 49, 45, 500000, tzinfo=UTC),
    )
    assert result.group.status == "resolved"


def test_resolved_alert_without_end_ends_when_received() -> None:
    body = recorded()
    body["alerts"][0]["status"] = "resolved"

    result = normalize_alertmanager(body, context())

    assert result.alerts[0].ends_at == RECEIVED_AT


def test_regex_quoted_receiver_is_unescaped() -> None:
    body = recorded() | {"receiver": r"team\.db\+ops"}

    assert normalize_alertmanager(body, context()).group.receiver == "team.db+ops"
    assert unescape_receiver(r"a\(b\)\[c\]\{d\}\^\$\|\*\?\\") == "a(b)[c]{d}^$|*?\\"


def test_fields_of_newer_alertmanager_releases_are_ignored() -> None:
    body = recorded() | {"notification_reason": "new_alerts", "routeLabels": {"team": "db"}}
    body["alerts"][0]["somethingNew"] = [1, 2]

    assert len(normalize_alertmanager(body, context()).alerts) == 2


def test_default_labels_sit_under_payload_labels_and_leave_the_fingerprint_alone() -> None:
    ctx = context(default_labels={"severity": "critical", "service": "storage"})

    alert = normalize_alertmanager(recorded(), ctx).alerts[0]

    assert alert.labels == {
        "alertname": "DiskFull",
        "instance": "i1",
        "severity": "warning",
        "service": "storage",
    }
    assert (alert.severity, alert.layer, alert.service) == (
        Severity.WARNING,
        Layer.APPLICATION,
        "storage",
    )
    assert alert.fingerprint == "ff87fab9a4226e28"


def test_empty_label_values_are_dropped_before_fingerprinting() -> None:
    body = recorded()
    body["alerts"][0]["labels"]["owner"] = ""
    del body["alerts"][0]["fingerprint"]

    alert = normalize_alertmanager(body, context()).alerts[0]

    assert "owner" not in alert.labels
    assert alert.fingerprint == label_fingerprint(
        {"alertname": "DiskFull", "instance": "i1", "severity": "warning"}
    )


def test_generator_url_and_truncated_alerts_are_kept() -> None:
    body = recorded() | {"truncatedAlerts": 3}
    body["alerts"][0]["generatorURL"] = "http://prometheus:9090/graph?g0.expr=up"

    result = normalize_alertmanager(body, context())

    assert result.alerts[0].generator_url == "http://prometheus:9090/graph?g0.expr=up"
    assert result.group.truncated_alerts == 3


def test_every_problem_of_a_request_is_reported_with_its_field_path() -> None:
    body = recorded() | {"version": "3", "truncatedAlerts": -1, "commonLabels": {"a": 1}}
    body["alerts"][0]["labels"]["severity"] = 2
    body["alerts"][0]["startsAt"] = "yesterday"
    body["alerts"][1] |= {"status": "paused", "endsAt": "2026-11-27T06:00:00Z"}
    body["alerts"][1]["labels"]["bad-name"] = "x"
    body["alerts"].append("not an alert")

    assert field_errors(body) == [
        FieldError("version", "must be one of: 4"),
        FieldError("commonLabels.a", "must be a string"),
        FieldError("truncatedAlerts", "must be a non-negative integer"),
        FieldError("alerts[0].startsAt", "must be an RFC 3339 timestamp with a time zone"),
        FieldError("alerts[0].labels.severity", "must be a string"),
        FieldError("alerts[1].endsAt", "must not be before the start time"),
        FieldError(
            'alerts[1].labels["bad-name"]', "is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)"
        ),
        FieldError("alerts[1].status", "must be one of: firing, resolved"),
        FieldError("alerts[2]", "must be an object"),
    ]


def test_one_bad_alert_rejects_the_whole_notification() -> None:
    body = recorded()
    del body["alerts"][1]["labels"]

    assert field_errors(body) == [FieldError("alerts[1].labels", "is required")]


@pytest.mark.parametrize("labels", [{}, {"alertname": ""}])
def test_an_alert_without_a_label_value_is_refused_as_alertmanager_refuses_it(
    labels: dict[str, str],
) -> None:
    body = recorded()
    body["alerts"][1]["labels"] = labels

    assert field_errors(body) == [
        FieldError("alerts[1].labels", "must have at least one label with a value")
    ]


def test_missing_alerts_and_status_are_reported() -> None:
    body = {"receiver": "web", "alerts": [{"labels": {"alertname": "A"}}]}

    assert field_errors(body) == [FieldError("alerts[0].status", "is required")]
    assert field_errors({"receiver": "web"}) == [FieldError("alerts", "is required")]


def test_more_alerts_than_the_limit_rejects_the_request() -> None:
    body = recorded()
    ctx = context(limits=Limits(max_alerts_per_request=1))

    assert field_errors(body, ctx) == [FieldError("alerts", "must have at most 1 items")]


@pytest.mark.parametrize("body", [[], "x", 4, None, True])
def test_a_body_that_is_not_an_object_is_rejected(body: Any) -> None:
    assert field_errors(body) == [FieldError("$", "must be an object")]


def test_errors_are_capped_at_fifty() -> None:
    body = recorded()
    body["alerts"][0]["labels"] = {f"l{index}": index for index in range(70)}

    with pytest.raises(InvalidPayload) as caught:
        normalize_alertmanager(body, context())

    assert len(caught.value.errors) == 50
    assert caught.value.errors[-1] == FieldError("alerts[0].labels.l49", "must be a string")
    assert caught.value.omitted == 20
