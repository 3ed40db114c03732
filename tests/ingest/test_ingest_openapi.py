"""The OpenAPI document: every ingest endpoint with a real-shaped example that is accepted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.ingest.harness import (
    AM_TOKEN,
    GENIE_KEY,
    GRAFANA_TOKEN,
    HEARTBEAT_TOKEN,
    JSON_TOKEN,
    PD_KEY,
    Ingest,
    running_ingest,
)

GENIE = {"Authorization": f"GenieKey {GENIE_KEY}"}
ALIAS = "checkout-errors?identifierType=alias"
# Each documented path: a URL a client would post to, and its credential header.
CALLS: dict[str, tuple[str, dict[str, str]]] = {
    "/api/v1/alerts/alertmanager": (
        "/api/v1/alerts/alertmanager",
        {"Authorization": f"Bearer {AM_TOKEN}"},
    ),
    "/api/v1/alerts/grafana": (
        "/api/v1/alerts/grafana",
        {"Authorization": f"Bearer {GRAFANA_TOKEN}"},
    ),
    "/api/v1/alerts": ("/api/v1/alerts", {"Authorization": f"Bearer {JSON_TOKEN}"}),
    "/v2/enqueue": ("/v2/enqueue", {}),
    "/v2/change/enqueue": ("/v2/change/enqueue", {}),
    "/v2/alerts": ("/v2/alerts", GENIE),
    "/v2/alerts/{identifier}/close": (f"/v2/alerts/{ALIAS.replace('?', '/close?')}", GENIE),
    "/v2/alerts/{identifier}/acknowledge": (
        f"/v2/alerts/{ALIAS.replace('?', '/acknowledge?')}",
        GENIE,
    ),
    "/api/v1/heartbeats/{name}": (
        "/api/v1/heartbeats/prometheus",
        {"Authorization": f"Bearer {HEARTBEAT_TOKEN}"},
    ),
}


@pytest.fixture(scope="module")
def ingest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ingest]:
    with running_ingest(tmp_path_factory.mktemp("openapi")) as running:
        yield running


@pytest.fixture(scope="module")
def schema(ingest: Ingest) -> dict[str, Any]:
    document: dict[str, Any] = ingest.get("/openapi.json").json()
    return document


def test_every_ingest_endpoint_is_documented(schema: dict[str, Any]) -> None:
    documented = {path for path, item in schema["paths"].items() if "post" in item}
    assert documented == set(CALLS)


@pytest.mark.parametrize("path", sorted(CALLS))
def test_each_documented_example_is_accepted_as_it_stands(
    ingest: Ingest, schema: dict[str, Any], path: str
) -> None:
    operation = schema["paths"][path]["post"]
    example = operation["requestBody"]["content"]["application/json"]["example"]
    accepted = operation["responses"]["202"]["content"]["application/json"]["example"]
    if "routing_key" in example:
        example = {**example, "routing_key": PD_KEY}

    target, headers = CALLS[path]
    answer = ingest.post(target, example, headers=headers)

    assert answer.status_code == 202, answer.text
    assert set(answer.json()) == set(accepted)


@pytest.mark.parametrize("path", sorted(CALLS))
def test_every_error_status_is_documented(schema: dict[str, Any], path: str) -> None:
    statuses = set(schema["paths"][path]["post"]["responses"])

    assert {"202", "401", "413", "503"} <= statuses
    assert {"400", "422"} & statuses or path == "/api/v1/heartbeats/{name}"


def test_bodies_are_read_by_the_handlers_not_parsed_by_the_framework(ingest: Ingest) -> None:
    # A JSON body sent as text/plain still reaches the normalizer: FastAPI never parsed it.
    answer = ingest.post(
        "/api/v1/alerts",
        content=b'{"labels": {"alertname": "A"}}',
        headers={"Authorization": f"Bearer {JSON_TOKEN}", "Content-Type": "text/plain"},
    )

    assert answer.status_code == 202


def test_opsgenies_identifier_type_and_the_credentials_are_documented_parameters(
    schema: dict[str, Any],
) -> None:
    close = schema["paths"]["/v2/alerts/{identifier}/close"]["post"]
    names = {(p["in"], p["name"]) for p in close["parameters"]}

    assert names == {
        ("path", "identifier"),
        ("query", "identifierType"),
        ("header", "Authorization"),
    }


def test_the_canonical_body_is_documented_as_one_alert_or_a_list(
    ingest: Ingest, schema: dict[str, Any]
) -> None:
    body = schema["paths"]["/api/v1/alerts"]["post"]["requestBody"]["content"]["application/json"]
    kinds = {option["type"] for option in body["schema"]["anyOf"]}
    headers = {"Authorization": f"Bearer {JSON_TOKEN}"}

    assert kinds == {"object", "array"}
    # An empty list (Alertmanager's API takes it too) is accepted and adds nothing.
    answer = ingest.post("/api/v1/alerts", [], headers=headers)
    assert (answer.status_code, answer.json()["accepted"]) == (202, 0)
