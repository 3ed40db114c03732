"""What every ingest endpoint shares: credentials, size limit, JSON syntax, metrics, logging."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.ingest.harness import (
    AM_TOKEN,
    GENIE_KEY,
    GRAFANA_TOKEN,
    HEARTBEAT_TOKEN,
    JSON_TOKEN,
    PD_DISABLED_KEY,
    PD_KEY,
    Ingest,
    running_ingest,
)

LIMIT = 65536  # max_body_bytes of the harness config


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    headers: dict[str, str]
    credential: str
    in_body: bool = False  # PagerDuty: the routing key is in the body

    def filler(self, size: int) -> bytes:
        """A JSON body of about `size` bytes that carries the credential where it belongs."""
        key = f'"routing_key": "{self.credential}", ' if self.in_body else ""
        return b'{%s"pad": "%s"}' % (key.encode(), b"x" * size)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


GENIE = {"Authorization": f"GenieKey {GENIE_KEY}"}
ENDPOINTS = [
    Endpoint("alertmanager", "/api/v1/alerts/alertmanager", _bearer(AM_TOKEN), AM_TOKEN),
    Endpoint("grafana", "/api/v1/alerts/grafana", _bearer(GRAFANA_TOKEN), GRAFANA_TOKEN),
    Endpoint("canonical", "/api/v1/alerts", _bearer(JSON_TOKEN), JSON_TOKEN),
    Endpoint("pagerduty", "/v2/enqueue", {}, PD_KEY, in_body=True),
    Endpoint("pagerduty-change", "/v2/change/enqueue", {}, PD_KEY, in_body=True),
    Endpoint("opsgenie-create", "/v2/alerts", GENIE, GENIE_KEY),
    Endpoint("opsgenie-close", "/v2/alerts/a/close?identifierType=alias", GENIE, GENIE_KEY),
    Endpoint("opsgenie-ack", "/v2/alerts/a/acknowledge?identifierType=alias", GENIE, GENIE_KEY),
    Endpoint("heartbeat", "/api/v1/heartbeats/prometheus", _bearer(HEARTBEAT_TOKEN), "hb"),
]
JSON_ENDPOINTS = [e for e in ENDPOINTS if e.name != "heartbeat"]
HEADER_ENDPOINTS = [e for e in ENDPOINTS if not e.in_body]


def by_name(endpoints: list[Endpoint]) -> Any:
    return pytest.mark.parametrize("endpoint", endpoints, ids=[e.name for e in endpoints])


@pytest.fixture(scope="module")
def ingest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ingest]:
    with running_ingest(tmp_path_factory.mktemp("limits")) as running:
        yield running


@by_name(ENDPOINTS)
def test_a_declared_body_over_the_limit_is_413(ingest: Ingest, endpoint: Endpoint) -> None:
    answer = ingest.post(endpoint.path, content=endpoint.filler(LIMIT), headers=endpoint.headers)

    assert answer.status_code == 413
    assert str(LIMIT) in answer.text


@by_name(ENDPOINTS)
def test_a_streamed_body_over_the_limit_is_413(ingest: Ingest, endpoint: Endpoint) -> None:
    body = endpoint.filler(LIMIT)

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit is counted
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    answer = ingest.post(endpoint.path, content=chunks(), headers=endpoint.headers)

    assert answer.status_code == 413


@by_name(JSON_ENDPOINTS)
def test_malformed_json_is_400_naming_the_body(ingest: Ingest, endpoint: Endpoint) -> None:
    raw = b'{"routing_key": "%s", "oops' % endpoint.credential.encode()

    answer = ingest.post(endpoint.path, content=raw, headers=endpoint.headers)

    assert answer.status_code == 400
    assert "is not valid JSON" in answer.text
    assert "$" in answer.text


@by_name(HEADER_ENDPOINTS)
def test_a_missing_credential_is_401(ingest: Ingest, endpoint: Endpoint) -> None:
    answer = ingest.post(endpoint.path, content=b"{}")

    assert answer.status_code == 401
    # RFC 9110: a 401 names the scheme to present the credential in
    scheme = endpoint.headers["Authorization"].split()[0]
    assert answer.headers["WWW-Authenticate"] == f'{scheme} realm="tocsin"'


@by_name([e for e in ENDPOINTS if e.in_body])
def test_a_body_without_its_routing_key_is_400_naming_it(
    ingest: Ingest, endpoint: Endpoint
) -> None:
    answer = ingest.post(endpoint.path, content=b"{}")

    assert answer.status_code == 400
    assert answer.json()["errors"] == ["'routing_key' is required"]


@by_name(HEADER_ENDPOINTS)
def test_a_credential_of_another_kind_is_401(ingest: Ingest, endpoint: Endpoint) -> None:
    other = JSON_TOKEN if endpoint.credential != JSON_TOKEN else AM_TOKEN
    scheme = endpoint.headers["Authorization"].split()[0]

    answer = ingest.post(endpoint.path, json={}, headers={"Authorization": f"{scheme} {other}"})

    assert answer.status_code == 401
    assert other not in answer.text
    assert answer.headers["WWW-Authenticate"].startswith(f"{scheme} ")


def test_credentials_are_never_logged(ingest: Ingest, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        for endpoint in ENDPOINTS:
            ingest.post(endpoint.path, content=b"{", headers=endpoint.headers)
            wrong = {"Authorization": endpoint.headers.get("Authorization", "x") + "x"}
            ingest.post(endpoint.path, content=endpoint.filler(10), headers=wrong)

    assert caplog.records
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    for endpoint in ENDPOINTS:
        assert endpoint.credential not in logged


def test_metrics_count_accepted_and_refused_alerts_by_integration_and_reason(
    tmp_path: Path,
) -> None:
    alert = {"labels": {"alertname": "A"}}
    with running_ingest(tmp_path) as ingest:
        ingest.post("/api/v1/alerts", [alert, alert], headers=_bearer(JSON_TOKEN))
        ingest.post("/api/v1/alerts", {"labels": {}}, headers=_bearer(JSON_TOKEN))
        ingest.post("/api/v1/alerts", [alert], headers=_bearer("nope"))
        ingest.post("/v2/enqueue", {"routing_key": PD_KEY, "event_action": "nudge"})
        ingest.post("/v2/enqueue", {"routing_key": PD_DISABLED_KEY, "event_action": "trigger"})
        metrics = ingest.get("/metrics").text

    expected = [
        'tocsin_ingest_alerts_accepted_total{integration="json"} 2.0',
        'tocsin_ingest_requests_rejected_total{integration="json",reason="invalid",'
        'source="canonical"} 1.0',
        'tocsin_ingest_requests_rejected_total{integration="unknown",reason="auth",'
        'source="canonical"} 1.0',
        'tocsin_ingest_requests_rejected_total{integration="pd",reason="invalid",'
        'source="pagerduty"} 1.0',
        # a disabled integration's own credential: refused under its name, not as unknown
        'tocsin_ingest_requests_rejected_total{integration="pd-off",reason="auth",'
        'source="pagerduty"} 1.0',
        'tocsin_ingest_request_seconds_count{source="canonical"} 3.0',
        'tocsin_ingest_request_seconds_count{source="pagerduty"} 2.0',
        "tocsin_ingest_append_seconds_count 1.0",
        "tocsin_ingest_requests_in_flight 0.0",
    ]
    for line in expected:
        assert line in metrics
