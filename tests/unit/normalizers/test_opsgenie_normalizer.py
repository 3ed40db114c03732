"""Opsgenie Alert API -> canonical results (Opsgenie's documented create/close/ack requests)."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.ingest.normalizers import (
    FieldError,
    InvalidPayload,
    NormalizeContext,
    OpsgenieAcknowledged,
    OpsgenieCreated,
    normalize_opsgenie_acknowledge,
    normalize_opsgenie_close,
    normalize_opsgenie_create,
    opsgenie_accepted_body,
    opsgenie_error_body,
    opsgenie_fingerprint,
    opsgenie_request_id,
)
from shared.alerts import Alert, Layer, Severity

RECEIVED_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CTX = NormalizeContext("og-main", "opsgenie", RECEIVED_AT)
ALIAS = "Life is too short for no alias"
ALIAS_FINGERPRINT = hashlib.sha256(f"opsgenie\0og-main\0{ALIAS}".encode()).hexdigest()[:32]


def documented(name: str) -> Any:
    return json.loads((Path(__file__).parent / "payloads" / f"opsgenie_{name}.json").read_text())


def create_errors(body: Any) -> list[FieldError]:
    with pytest.raises(InvalidPayload) as caught:
        normalize_opsgenie_create(body, CTX)
    return caught.value.errors


def test_documented_create_becomes_a_firing_alert() -> None:
    body = documented("create")

    result = normalize_opsgenie_create(body, CTX)

    assert result == OpsgenieCreated(
        alias=ALIAS,
        alert=Alert(
            fingerprint=ALIAS_FINGERPRINT,
            status="firing",
            severity=Severity.CRITICAL,
            layer=Layer.APPLICATION,
            labels={
                "alertname": "An example alert message",
                "alias": ALIAS,
                "priority": "P1",
                "entity": "An example entity",
            },
            annotations={
                "key1": "value1",
                "key2": "value2",
                "description": "Every alert needs a description",
                "tags": "OverwriteQuietHours,Critical",
            },
            starts_at=RECEIVED_AT,
            summary="An example alert message",
            source="opsgenie",
            integration="og-main",
            received_at=RECEIVED_AT,
        ),
        request_id=opsgenie_request_id(CTX, body),
    )
    assert opsgenie_fingerprint("og-main", ALIAS) == ALIAS_FINGERPRINT


def test_request_id_is_a_uuid_determined_by_request_and_time() -> None:
    body = documented("create")
    later = replace(CTX, received_at=RECEIVED_AT + timedelta(seconds=1))

    request_id = opsgenie_request_id(CTX, body)

    assert uuid.UUID(request_id).version == 5
    assert opsgenie_request_id(CTX, json.loads(json.dumps(body))) == request_id
    assert opsgenie_request_id(later, body) != request_id
    assert opsgenie_request_id(CTX, body, "some-alias") != request_id


def test_create_without_alias_or_priority_uses_a_hash_of_the_body_and_p3() -> None:
    result = normalize_opsgenie_create({"message": "Disk full on db1"}, CTX)

    alias = hashlib.sha256(b'{"message":"Disk full on db1"}').hexdigest()[:40]
    assert result.alias == alias
    assert result.alert.fingerprint == opsgenie_fingerprint("og-main", alias)
    assert result.alert.labels == {
        "alertname": "Disk full on db1",
        "alias": alias,
        "priority": "P3",
    }
    assert result.alert.severity is Severity.WARNING


def test_creates_without_alias_are_one_alert_only_when_their_bodies_are_the_same() -> None:
    # Opsgenie gives each its own alias; a retry of the same request must not be two alerts.
    db1 = {"message": "Backup failed", "entity": "db1", "details": {"job": "nightly"}}
    db2 = {**db1, "entity": "db2"}
    retried = dict(reversed(list(db1.items())))  # the same body, keys in another order

    fingerprints = [
        normalize_opsgenie_create(body, CTX).alert.fingerprint for body in (db1, db2, retried)
    ]

    assert fingerprints[0] != fingerprints[1]
    assert fingerprints[0] == fingerprints[2]


@pytest.mark.parametrize(
    ("priority", "severity"),
    [
        ("P2", Severity.ERROR),
        ("P3", Severity.WARNING),
        ("P4", Severity.INFO),
        ("P5", Severity.INFO),
    ],
)
def test_priority_sets_severity(priority: str, severity: Severity) -> None:
    result = normalize_opsgenie_create({"message": "m", "priority": priority}, CTX)

    assert result.alert.severity is severity


def test_documented_close_by_alias_resolves_the_created_alert() -> None:
    result = normalize_opsgenie_close(documented("close"), ALIAS, "alias", CTX)

    assert result.alert == Alert(
        fingerprint=ALIAS_FINGERPRINT,
        status="resolved",
        severity=Severity.WARNING,
        layer=Layer.APPLICATION,
        labels={"alias": ALIAS},
        starts_at=RECEIVED_AT,
        ends_at=RECEIVED_AT,
        source="opsgenie",
        integration="og-main",
        received_at=RECEIVED_AT,
    )
    assert (result.user, result.source, result.note) == (
        "Monitoring Script",
        "AWS Lambda",
        "Action executed via Alert API",
    )
    assert result.request_id == opsgenie_request_id(CTX, documented("close"), ALIAS)


def test_close_by_id_takes_the_id_as_the_fingerprint() -> None:
    result = normalize_opsgenie_close(None, "ff87fab9a4226e28", None, CTX)

    assert (result.alert.fingerprint, result.alert.labels, result.user) == (
        "ff87fab9a4226e28",
        {},
        None,
    )


def test_documented_acknowledge_by_alias_names_the_created_alert() -> None:
    body = documented("acknowledge")

    result = normalize_opsgenie_acknowledge(body, ALIAS, "alias", CTX)

    assert result == OpsgenieAcknowledged(
        fingerprint=ALIAS_FINGERPRINT,
        integration="og-main",
        received_at=RECEIVED_AT,
        request_id=opsgenie_request_id(CTX, body, ALIAS),
        user="Monitoring Script",
        source="AWS Lambda",
        note="Action executed via Alert API",
    )


@pytest.mark.parametrize(
    ("identifier", "identifier_type", "error"),
    [
        (
            "abc",
            "tiny",
            FieldError("identifierType", "tiny ids are not supported; use alias or id"),
        ),
        ("abc", "name", FieldError("identifierType", "must be one of: id, alias, tiny")),
        (" ", "alias", FieldError("identifier", "must not be blank")),
        ("a b", "id", FieldError("identifier", "is not an alert id issued by Tocsin")),
        ("a" * 513, "alias", FieldError("identifier", "must be at most 512 characters")),
        ("\ud800", "alias", FieldError("identifier", "must not contain unpaired surrogates")),
    ],
)
def test_bad_identifiers_are_rejected(
    identifier: str, identifier_type: str, error: FieldError
) -> None:
    with pytest.raises(InvalidPayload) as caught:
        normalize_opsgenie_acknowledge({}, identifier, identifier_type, CTX)

    assert caught.value.errors == [error]


def test_bad_close_body_fields_are_reported() -> None:
    with pytest.raises(InvalidPayload) as caught:
        normalize_opsgenie_close({"user": 5, "note": "n" * 25001}, ALIAS, "alias", CTX)

    assert caught.value.errors == [
        FieldError("user", "must be a string"),
        FieldError("note", "must be at most 25000 characters"),
    ]


def test_invalid_create_reports_every_field_with_opsgenies_limits() -> None:
    body = documented("create") | {
        "message": "m" * 131,
        "alias": "a" * 513,
        "priority": "p1",
        "tags": ["ok", 3, "t" * 51],
        "details": {"key1": 1},
        "entity": "e" * 513,
    }

    assert create_errors(body) == [
        FieldError("message", "must be at most 130 characters"),
        FieldError("alias", "must be at most 512 characters"),
        FieldError("priority", "must be one of: P1, P2, P3, P4, P5"),
        FieldError("entity", "must be at most 512 characters"),
        FieldError("details.key1", "must be a string"),
        FieldError("tags[1]", "must be a string"),
        FieldError("tags[2]", "must be at most 50 characters"),
    ]


def test_more_than_twenty_tags_and_a_missing_message_are_rejected() -> None:
    assert create_errors({"tags": ["t"] * 21}) == [
        FieldError("message", "is required"),
        FieldError("tags", "must have at most 20 items"),
    ]


def test_response_bodies_have_opsgenies_shape() -> None:
    with pytest.raises(InvalidPayload) as caught:
        normalize_opsgenie_create({"message": "", "user": 1}, CTX)

    assert opsgenie_error_body(caught.value, "req-1") == {
        "message": "Request body is not processable. Please check the errors.",
        "errors": {"message": "must not be blank", "user": "must be a string"},
        "took": 0.0,
        "requestId": "req-1",
    }
    assert opsgenie_accepted_body("req-2") == {
        "result": "Request will be processed",
        "took": 0.0,
        "requestId": "req-2",
    }
