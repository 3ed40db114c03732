"""Grafana unified alerting webhook -> canonical alerts (Grafana's documented example)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from services.ingest.normalizers import (
    FieldError,
    InvalidPayload,
    NormalizeContext,
    WebhookGroup,
    normalize_grafana,
)
from shared.alerts import Alert, Layer, Severity

RECEIVED_AT = datetime(2021, 10, 12, 8, 0, tzinfo=UTC)
CTX = NormalizeContext("grafana-play", "grafana", RECEIVED_AT)
SILENCE = "https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers="


def documented(name: str = "grafana_webhook.json") -> Any:
    return json.loads((Path(__file__).parent / "payloads" / name).read_text())


def field_errors(body: Any) -> list[FieldError]:
    with pytest.raises(InvalidPayload) as caught:
        normalize_grafana(body, CTX)
    return caught.value.errors


def test_documented_webhook_becomes_canonical_alerts_with_grafana_extras() -> None:
    result = normalize_grafana(documented(), CTX)

    assert result.alerts[0] == Alert(
        fingerprint="c6eadffa33fcdf37",
        status="firing",
        severity=Severity.WARNING,
        layer=Layer.APPLICATION,
        team="blue",
        labels={"alertname": "High memory usage", "team": "blue", "zone": "us-1"},
        annotations={
            "silence_url": SILENCE + "alertname%3DT2%2Cteam%3Dblue%2Czone%3Dus-1",
            "values": '{"B":44.23943737541908,"C":1}',
            "description": "The system has high memory usage",
            "runbook_url": "https://myrunbook.com/runbook/1234",
            "summary": "This alert was triggered for zone us-1",
        },
        starts_at=datetime(2021, 10, 12, 7, 51, 3, 157076, tzinfo=UTC),
        ends_at=None,
        summary="This alert was triggered for zone us-1",
        generator_url="https://play.grafana.org/alerting/1afz29v7z/edit",
        source="grafana",
        integration="grafana-play",
        received_at=RECEIVED_AT,
    )
    assert [a.fingerprint for a in result.alerts] == ["c6eadffa33fcdf37", "bc97ff14869b13e3"]
    assert result.alerts[1].starts_at == datetime(2021, 10, 12, 7, 56, 3, 157076, tzinfo=UTC)


def test_documented_webhook_returns_group_and_grafana_fields() -> None:
    result = normalize_grafana(documented(), CTX)

    assert result.group == WebhookGroup(
        receiver="My Super Webhook",
        group_key="{}:{}",
        status="firing",
        group_labels={},
        common_labels={"team": "blue"},
        common_annotations={},
        external_url="https://play.grafana.org/",
        truncated_alerts=0,
    )
    assert (result.org_id, result.title, result.state) == (1, "[FIRING:2]  (blue)", "alerting")
    assert result.message is not None and result.message.startswith("**Firing**")


def test_older_grafana_value_string_becomes_an_annotation() -> None:
    result = normalize_grafana(documented("grafana_webhook_v9.json"), CTX)

    assert result.alerts[1].annotations["value_string"] == (
        "[ metric='' labels={} value=47043.702386305304 ]"
    )
    assert "values" not in result.alerts[1].annotations


def test_the_rules_own_annotations_win_over_grafana_extras() -> None:
    body = documented()
    body["alerts"][0]["annotations"]["silence_url"] = "mine"
    body["alerts"][0]["dashboardURL"] = "https://play.grafana.org/d/abc"

    annotations = normalize_grafana(body, CTX).alerts[0].annotations

    assert annotations["silence_url"] == "mine"
    assert annotations["dashboard_url"] == "https://play.grafana.org/d/abc"


def test_resolved_grafana_alert_carries_its_end() -> None:
    body = documented()
    body["alerts"][0] |= {"status": "resolved", "endsAt": "2021-10-12T09:55:03.157076+02:00"}

    alert = normalize_grafana(body, CTX).alerts[0]

    assert (alert.status, alert.ends_at) == (
        "resolved",
        datetime(2021, 10, 12, 7, 55, 3, 157076, tzinfo=UTC),
    )


def test_grafana_receiver_is_not_regex_unquoted() -> None:
    body = documented() | {"receiver": r"ops\.team"}

    assert normalize_grafana(body, CTX).group.receiver == r"ops\.team"


def test_bad_grafana_fields_are_reported_with_their_paths() -> None:
    body = documented() | {"orgId": "1", "version": "4", "title": 7}
    body["alerts"][0] |= {"silenceURL": 3, "fingerprint": None}
    body["alerts"][1]["labels"] = ["alertname"]

    assert field_errors(body) == [
        FieldError("version", "must be one of: 1"),
        FieldError("orgId", "must be an integer"),
        FieldError("title", "must be a string"),
        FieldError("alerts[0].silenceURL", "must be a string"),
        FieldError("alerts[1].labels", "must be an object"),
    ]
