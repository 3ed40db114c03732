"""Opsgenie Alert API v2 over HTTP: create, close, acknowledge, and Opsgenie's answers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.ingest.normalizers.opsgenie import opsgenie_fingerprint
from shared.events import AlertReceived, PayloadReceived
from shared.events.inputs import AlertAcknowledgedAtSource, RequestParameters
from tests.ingest.harness import (
    GENIE_DISABLED_KEY,
    GENIE_KEY,
    JSON_TOKEN,
    START,
    Ingest,
    partition_of,
    running_ingest,
)

GENIE = {"Authorization": f"GenieKey {GENIE_KEY}"}
CREATE = {
    "message": "Checkout error rate above 5%",
    "alias": "checkout-errors",
    "description": "5xx ratio is 7.2%",
    "priority": "P1",
    "entity": "checkout-api",
}


@pytest.fixture
def ingest(tmp_path: Path) -> Iterator[Ingest]:
    with running_ingest(tmp_path) as running:
        yield running


def assert_accepted(answer_json: dict[str, object]) -> None:
    assert answer_json["result"] == "Request will be processed"
    assert answer_json["took"] == 0.0
    uuid.UUID(str(answer_json["requestId"]))


def test_create_stores_an_alert_keyed_by_the_integrations_default_labels(ingest: Ingest) -> None:
    answer = ingest.post("/v2/alerts", CREATE, headers=GENIE)

    assert answer.status_code == 202
    assert_accepted(answer.json())
    [logged] = ingest.alerts()
    assert (logged.key, logged.partition) == ("region=ap-south", partition_of("region=ap-south"))
    assert isinstance(logged.event, AlertReceived)
    alert = logged.event.alert
    assert alert.fingerprint == opsgenie_fingerprint("genie", "checkout-errors")
    assert (alert.status, alert.severity, alert.source, alert.integration) == (
        "firing",
        "critical",
        "opsgenie",
        "genie",
    )
    assert alert.labels == {
        "region": "ap-south",
        "alertname": "Checkout error rate above 5%",
        "alias": "checkout-errors",
        "priority": "P1",
        "entity": "checkout-api",
    }
    [payload] = ingest.payloads()
    assert isinstance(payload.event, PayloadReceived)
    assert payload.event.body == CREATE


def test_close_by_alias_resolves_the_created_alert_on_its_partition(ingest: Ingest) -> None:
    ingest.post("/v2/alerts", CREATE, headers=GENIE)
    closed_at = ingest.clock.advance(120)

    answer = ingest.post(
        "/v2/alerts/checkout-errors/close?identifierType=alias",
        {"user": "Monitoring Script", "note": "fixed"},
        headers=GENIE,
    )

    assert answer.status_code == 202
    assert_accepted(answer.json())
    created, closed = ingest.alerts()
    assert created.key == closed.key == "region=ap-south"
    assert isinstance(closed.event, AlertReceived)
    assert closed.event.alert.fingerprint == opsgenie_fingerprint("genie", "checkout-errors")
    assert (closed.event.alert.status, closed.event.alert.ends_at) == ("resolved", closed_at)


def test_paths_with_a_trailing_slash_as_opsgenies_node_sdk_sends_them_are_served(
    ingest: Ingest,
) -> None:
    created = ingest.post("/v2/alerts/", CREATE, headers=GENIE)
    closed = ingest.post(
        "/v2/alerts/checkout-errors/close/?identifierType=alias", {}, headers=GENIE
    )

    assert [created.status_code, closed.status_code] == [202, 202]
    assert_accepted(closed.json())
    opened, resolved = (logged.event for logged in ingest.alerts())
    assert isinstance(opened, AlertReceived) and isinstance(resolved, AlertReceived)
    assert (opened.alert.status, resolved.alert.status) == ("firing", "resolved")


def test_acknowledge_by_id_without_a_body_appends_an_acknowledgement(ingest: Ingest) -> None:
    fingerprint = opsgenie_fingerprint("genie", "checkout-errors")

    answer = ingest.post(f"/v2/alerts/{fingerprint}/acknowledge", headers=GENIE)

    assert answer.status_code == 202
    [logged] = ingest.alerts()
    assert logged.key == "region=ap-south"
    assert logged.event == AlertAcknowledgedAtSource(
        integration="genie", source="opsgenie", fingerprint=fingerprint, received_at=START
    )


def test_close_stores_its_body_as_posted_and_the_alert_its_url_names(ingest: Ingest) -> None:
    ingest.post("/v2/alerts", CREATE, headers=GENIE)
    ingest.post(
        "/v2/alerts/checkout-errors/close?identifierType=alias", {"user": "bob"}, headers=GENIE
    )

    created, closed = ingest.payloads()

    assert isinstance(created.event, PayloadReceived)
    assert created.event.request is None
    assert b'"request"' not in created.raw
    assert isinstance(closed.event, PayloadReceived)
    assert closed.event.body == {"user": "bob"}
    assert closed.event.request == RequestParameters(
        action="close", identifier="checkout-errors", identifier_type="alias"
    )


def test_acknowledge_without_a_body_stores_its_action_and_identifier(ingest: Ingest) -> None:
    fingerprint = opsgenie_fingerprint("genie", "checkout-errors")

    ingest.post(f"/v2/alerts/{fingerprint}/acknowledge", headers=GENIE)

    [stored] = ingest.payloads()
    assert isinstance(stored.event, PayloadReceived)
    assert stored.event.body is None
    assert stored.event.request == RequestParameters(
        action="acknowledge", identifier=fingerprint, identifier_type=None
    )


def test_closes_of_two_alerts_with_the_same_body_at_the_same_time_are_two_requests(
    ingest: Ingest,
) -> None:
    for alias in ("first", "second"):
        ingest.post(f"/v2/alerts/{alias}/close?identifierType=alias", {}, headers=GENIE)

    payloads, alerts = ingest.payloads(), ingest.alerts()

    assert len({logged.envelope.event_id for logged in payloads}) == 2
    assert len({logged.envelope.event_id for logged in alerts}) == 2


def test_acknowledge_carries_who_and_why(ingest: Ingest) -> None:
    ingest.post(
        "/v2/alerts/checkout-errors/acknowledge?identifierType=alias",
        {"user": "alice", "source": "phone", "note": "looking"},
        headers=GENIE,
    )

    [logged] = ingest.alerts()
    assert isinstance(logged.event, AlertAcknowledgedAtSource)
    assert (logged.event.by, logged.event.note) == ("alice", "looking")


@pytest.mark.parametrize(
    ("path", "errors"),
    [
        (
            "/v2/alerts/abc/close?identifierType=tiny",
            {"identifierType": "tiny ids are not supported; use alias or id"},
        ),
        (
            "/v2/alerts/abc/acknowledge?identifierType=name",
            {"identifierType": "must be one of: id, alias, tiny"},
        ),
        ("/v2/alerts/not%20an%20id/close", {"identifier": "is not an alert id issued by Tocsin"}),
    ],
)
def test_a_bad_identifier_is_a_422_in_opsgenies_shape(
    ingest: Ingest, path: str, errors: dict[str, str]
) -> None:
    answer = ingest.post(path, headers=GENIE)

    assert answer.status_code == 422
    body = answer.json()
    assert body["message"] == "Request body is not processable. Please check the errors."
    assert body["errors"] == errors
    assert set(body) == {"message", "errors", "took", "requestId"}
    assert ingest.alerts() == []


def test_a_create_without_a_message_is_a_422_naming_it(ingest: Ingest) -> None:
    answer = ingest.post("/v2/alerts", {"alias": "a", "priority": "P9"}, headers=GENIE)

    assert answer.status_code == 422
    assert answer.json()["errors"] == {
        "message": "is required",
        "priority": "must be one of: P1, P2, P3, P4, P5",
    }


@pytest.mark.parametrize(
    ("header", "status"),
    [
        (None, 401),
        (f"Bearer {GENIE_KEY}", 401),  # Opsgenie's scheme is GenieKey
        ("GenieKey not-a-key", 401),
        (f"GenieKey {JSON_TOKEN}", 401),  # another integration type's token
        (f"GenieKey {GENIE_DISABLED_KEY}", 403),
    ],
)
def test_credentials_that_grant_nothing_are_refused_in_opsgenies_shape(
    ingest: Ingest, header: str | None, status: int
) -> None:
    headers = {"Authorization": header} if header else {}

    answers = [
        ingest.post("/v2/alerts", CREATE, headers=headers),
        ingest.post("/v2/alerts/x/close?identifierType=alias", headers=headers),
        ingest.post("/v2/alerts/x/acknowledge?identifierType=alias", headers=headers),
    ]

    for answer in answers:
        assert answer.status_code == status
        assert set(answer.json()) == {"message", "took", "requestId"}
        assert GENIE_KEY not in answer.text and GENIE_DISABLED_KEY not in answer.text
    assert ingest.alerts() == [] and ingest.payloads() == []


def test_an_alias_holding_a_slash_is_closed_by_its_encoded_alias(ingest: Ingest) -> None:
    # A client encodes the alias in the path (`/` as %2F), which the server sees decoded
    alias = "disk full/é"
    ingest.post("/v2/alerts", {**CREATE, "alias": alias}, headers=GENIE)

    answer = ingest.post(
        "/v2/alerts/disk%20full%2F%C3%A9/close?identifierType=alias", {}, headers=GENIE
    )

    assert answer.status_code == 202
    created, closed = ingest.alerts()
    assert created.key == closed.key
    assert isinstance(closed.event, AlertReceived)
    assert closed.event.alert.fingerprint == opsgenie_fingerprint("genie", alias)
    assert closed.event.alert.status == "resolved"
