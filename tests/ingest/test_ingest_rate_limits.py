"""Per-integration rate limits over HTTP: each source refused in its own shape, with the status
its senders retry on and `Retry-After`; nothing of a refused request reaches the log."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from services.ingest.examples import ALERTMANAGER_EXAMPLE, CANONICAL_EXAMPLE, GRAFANA_EXAMPLE
from services.ingest.examples_vendors import (
    OPSGENIE_ACTION_EXAMPLE,
    OPSGENIE_CREATE_EXAMPLE,
    PAGERDUTY_CHANGE_EXAMPLE,
    PAGERDUTY_TRIGGER_EXAMPLE,
)
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

OTHER_JSON_TOKEN = "json-token-0002"
FREE_JSON_TOKEN = "json-token-free"
BURST = 3  # every limited integration: 1 alert/s, 3 at once
LIMIT = "{alerts_per_second: 1, burst: 3}"
CONFIG = f"""
integrations:
  - {{name: prom, type: alertmanager, token: {AM_TOKEN}, rate_limit: {LIMIT}}}
  - {{name: grafana, type: grafana, token: {GRAFANA_TOKEN}, rate_limit: {LIMIT}}}
  - {{name: json, type: canonical, token: {JSON_TOKEN}, rate_limit: {LIMIT}}}
  - {{name: json-other, type: canonical, token: {OTHER_JSON_TOKEN}, rate_limit: {LIMIT}}}
  - {{name: json-free, type: canonical, token: {FREE_JSON_TOKEN}}}
  - {{name: pd, type: pagerduty, token: {PD_KEY}, rate_limit: {LIMIT}}}
  - {{name: genie, type: opsgenie, token: {GENIE_KEY}, rate_limit: {LIMIT}}}
heartbeats:
  - {{name: cron, interval: 1m, token: {HEARTBEAT_TOKEN}}}
"""

Request = tuple[str, Any, dict[str, str]]  # path, JSON body, headers


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _webhook(example: dict[str, Any], count: int, first: int) -> dict[str, Any]:
    body = copy.deepcopy(example)
    [alert] = body["alerts"]
    body["alerts"] = []
    for index in range(first, first + count):
        each = copy.deepcopy(alert)
        each["labels"]["instance"] = f"node-{index}"
        each["fingerprint"] = f"{index:016x}"
        body["alerts"].append(each)
    return body


def _canonical(count: int, first: int, token: str = JSON_TOKEN) -> Request:
    alerts = [
        {**CANONICAL_EXAMPLE, "labels": {**CANONICAL_EXAMPLE["labels"], "instance": f"i{index}"}}
        for index in range(first, first + count)
    ]
    return "/api/v1/alerts", alerts, _bearer(token)


def _one_event(count: int) -> None:
    assert count == 1, "a PagerDuty or Opsgenie request carries one event"


def _pagerduty(count: int, first: int) -> Request:
    _one_event(count)
    body = {**PAGERDUTY_TRIGGER_EXAMPLE, "routing_key": PD_KEY, "dedup_key": f"d{first}"}
    return "/v2/enqueue", body, {}


def _pagerduty_change(count: int, first: int) -> Request:
    _one_event(count)
    return "/v2/change/enqueue", {**PAGERDUTY_CHANGE_EXAMPLE, "routing_key": PD_KEY}, {}


GENIE = {"Authorization": f"GenieKey {GENIE_KEY}"}


def _opsgenie(count: int, first: int) -> Request:
    _one_event(count)
    return "/v2/alerts", {**OPSGENIE_CREATE_EXAMPLE, "alias": f"a{first}"}, GENIE


def _opsgenie_action(verb: str) -> Callable[[int, int], Request]:
    def request(count: int, first: int) -> Request:
        _one_event(count)
        return f"/v2/alerts/a{first}/{verb}?identifierType=alias", OPSGENIE_ACTION_EXAMPLE, GENIE

    return request


def _tocsin_shape(integration: str, wait: int) -> Callable[[dict[str, Any]], None]:
    def check(body: dict[str, Any]) -> None:
        message = f"the rate limit of integration {integration} is exceeded: retry after {wait} s"
        assert body == {"status": "error", "message": message}

    return check


def _pagerduty_shape(body: dict[str, Any]) -> None:
    message = "the rate limit of integration pd is exceeded: retry after 1 s"
    assert body == {"status": "throttle event", "message": message, "errors": [message]}


def _opsgenie_shape(body: dict[str, Any]) -> None:
    assert set(body) == {"message", "took", "requestId"}
    assert body["message"] == "the rate limit of integration genie is exceeded: retry after 1 s"
    assert body["took"] == 0.0
    uuid.UUID(body["requestId"])


@dataclass(frozen=True)
class Source:
    name: str
    request: Callable[[int, int], Request]  # (alerts, index of the first) -> request
    per_request: int  # alerts in each request of the test
    status: int  # over the limit
    shape: Callable[[dict[str, Any]], None]


SOURCES = [
    Source(
        "alertmanager",
        lambda n, i: (
            "/api/v1/alerts/alertmanager",
            _webhook(ALERTMANAGER_EXAMPLE, n, i),
            _bearer(AM_TOKEN),
        ),
        2,
        503,
        _tocsin_shape("prom", 1),
    ),
    Source(
        "grafana",
        lambda n, i: (
            "/api/v1/alerts/grafana",
            _webhook(GRAFANA_EXAMPLE, n, i),
            _bearer(GRAFANA_TOKEN),
        ),
        2,
        503,
        _tocsin_shape("grafana", 1),
    ),
    Source("canonical", _canonical, 2, 429, _tocsin_shape("json", 1)),
    Source("pagerduty", _pagerduty, 1, 429, _pagerduty_shape),
    Source("pagerduty-change", _pagerduty_change, 1, 429, _pagerduty_shape),
    Source("opsgenie-create", _opsgenie, 1, 429, _opsgenie_shape),
    Source("opsgenie-close", _opsgenie_action("close"), 1, 429, _opsgenie_shape),
    Source("opsgenie-acknowledge", _opsgenie_action("acknowledge"), 1, 429, _opsgenie_shape),
]


def by_source(sources: list[Source]) -> Any:
    return pytest.mark.parametrize("source", sources, ids=[s.name for s in sources])


@pytest.fixture
def ingest(tmp_path: Path) -> Iterator[Ingest]:
    with running_ingest(tmp_path, CONFIG, manual_rate_clock=True) as running:
        yield running


def post(ingest: Ingest, request: Request) -> Any:
    path, body, headers = request
    return ingest.post(path, body, headers=headers)


def nothing_new_on_the_log(ingest: Ingest) -> bool:
    return ingest.alerts() == [] and ingest.payloads() == []


def read_past_the_accepted(ingest: Ingest) -> None:
    ingest.alerts()
    ingest.payloads()


def exhaust(ingest: Ingest, source: Source) -> int:
    """Post `source`'s requests until its bucket is empty; the next request's first index."""
    sent = 0
    while sent + source.per_request <= BURST:
        answer = post(ingest, source.request(source.per_request, sent))
        assert answer.status_code == 202, answer.text
        sent += source.per_request
    return sent


@by_source(SOURCES)
def test_over_the_limit_a_request_is_refused_whole_in_the_sources_shape(
    ingest: Ingest, source: Source
) -> None:
    next_index = exhaust(ingest, source)
    read_past_the_accepted(ingest)

    answer = post(ingest, source.request(source.per_request, next_index))

    assert answer.status_code == source.status
    assert answer.headers["Retry-After"] == "1"
    source.shape(answer.json())
    assert nothing_new_on_the_log(ingest)


@by_source(SOURCES)
def test_after_retry_after_seconds_the_same_request_is_accepted(
    ingest: Ingest, source: Source
) -> None:
    request = source.request(source.per_request, exhaust(ingest, source))
    refused = post(ingest, request)

    ingest.clock.advance(int(refused.headers["Retry-After"]))

    assert post(ingest, request).status_code == 202


def test_a_request_the_log_did_not_store_gives_its_alerts_back(ingest: Ingest) -> None:
    # Given the log down, a request taking the whole burst is refused with 503,
    ingest.portal.call(ingest.log.close)
    assert post(ingest, _canonical(BURST, 0)).status_code == 503

    # then once the log is back, its retry fits the burst at once: the outage spent nothing.
    ingest.portal.call(ingest.log.start)
    assert post(ingest, _canonical(BURST, 0)).status_code == 202
    # The refused request's alerts count as refused, not only the request; the append
    # histogram times the one append the log confirmed.
    metrics = ingest.get("/metrics").text
    assert (
        f'tocsin_ingest_alerts_rejected_total{{integration="json",reason="unavailable"}} {BURST}.0'
        in metrics
    )
    assert "tocsin_ingest_append_seconds_count 1.0" in metrics.splitlines()


def test_retry_after_is_the_time_until_all_the_requests_alerts_fit(ingest: Ingest) -> None:
    assert post(ingest, _canonical(BURST, 0)).status_code == 202
    ingest.clock.advance(0.5)

    answer = post(ingest, _canonical(3, BURST))

    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "3"  # 2.5 s, rounded up
    ingest.clock.advance(2.4)
    assert post(ingest, _canonical(3, BURST)).headers["Retry-After"] == "1"
    ingest.clock.advance(0.1)
    assert post(ingest, _canonical(3, BURST)).status_code == 202


@pytest.mark.parametrize(
    ("request_of", "field", "integration"),
    [
        (
            lambda n: _webhook_request("alertmanager", ALERTMANAGER_EXAMPLE, AM_TOKEN, n),
            "alerts",
            "prom",
        ),
        (
            lambda n: _webhook_request("grafana", GRAFANA_EXAMPLE, GRAFANA_TOKEN, n),
            "alerts",
            "grafana",
        ),
        (lambda n: _canonical(n, 0), "$", "json"),
    ],
    ids=["alertmanager", "grafana", "canonical"],
)
def test_a_batch_larger_than_the_burst_is_invalid_naming_its_list(
    ingest: Ingest, request_of: Callable[[int], Request], field: str, integration: str
) -> None:
    answer = post(ingest, request_of(BURST + 1))

    assert answer.status_code == 422
    assert "Retry-After" not in answer.headers
    message = f"must have at most {BURST} items: the burst of integration {integration}'s"
    assert answer.json() == {
        "status": "error",
        "message": "the payload is invalid",
        "errors": [{"field": field, "message": message + " rate limit"}],
    }
    assert nothing_new_on_the_log(ingest)
    assert post(ingest, request_of(BURST)).status_code == 202  # it took no tokens


def _webhook_request(kind: str, example: dict[str, Any], token: str, count: int) -> Request:
    return f"/api/v1/alerts/{kind}", _webhook(example, count, 0), _bearer(token)


def test_bad_input_gets_its_own_4xx_and_takes_no_tokens(ingest: Ingest) -> None:
    headers = _bearer(JSON_TOKEN)
    for _ in range(2 * BURST):
        assert ingest.post("/api/v1/alerts", {"labels": {}}, headers=headers).status_code == 422
        assert ingest.post("/api/v1/alerts", content=b"[", headers=headers).status_code == 400
    assert post(ingest, _canonical(BURST, 0)).status_code == 202

    assert ingest.post("/api/v1/alerts", {"labels": {}}, headers=headers).status_code == 422
    assert ingest.post("/api/v1/alerts", [], headers=_bearer("nope")).status_code == 401
    assert post(ingest, _canonical(1, BURST)).status_code == 429


def test_an_integration_without_a_rate_limit_is_never_limited(ingest: Ingest) -> None:
    statuses = {
        post(ingest, _canonical(50, 50 * index, FREE_JSON_TOKEN)).status_code for index in range(20)
    }

    assert statuses == {202}


def test_each_integration_has_its_own_bucket(ingest: Ingest) -> None:
    assert post(ingest, _canonical(BURST, 0)).status_code == 202
    assert post(ingest, _canonical(1, BURST)).status_code == 429

    assert post(ingest, _canonical(BURST, 0, OTHER_JSON_TOKEN)).status_code == 202


def test_pagerduty_alert_and_change_events_share_their_integrations_bucket(
    ingest: Ingest,
) -> None:
    for index in range(BURST - 1):
        assert post(ingest, _pagerduty(1, index)).status_code == 202
    assert post(ingest, _pagerduty_change(1, 0)).status_code == 202

    assert post(ingest, _pagerduty(1, BURST)).status_code == 429


def test_heartbeat_check_ins_are_never_limited(ingest: Ingest) -> None:
    exhaust(ingest, SOURCES[2])
    headers = _bearer(HEARTBEAT_TOKEN)

    statuses = {
        ingest.post("/api/v1/heartbeats/cron", headers=headers).status_code for _ in range(50)
    }

    assert statuses == {202}


def test_refused_requests_and_their_alerts_are_counted_as_rate_limited(ingest: Ingest) -> None:
    post(ingest, _canonical(BURST, 0))
    post(ingest, _canonical(2, BURST))
    post(ingest, _canonical(1, BURST))
    post(ingest, _canonical(BURST + 1, 0))
    post(ingest, _webhook_request("alertmanager", ALERTMANAGER_EXAMPLE, AM_TOKEN, BURST))
    post(ingest, _webhook_request("alertmanager", ALERTMANAGER_EXAMPLE, AM_TOKEN, 2))

    metrics = ingest.get("/metrics").text

    for line in [
        'tocsin_ingest_requests_rejected_total{integration="json",reason="rate_limited",'
        'source="canonical"} 3.0',
        'tocsin_ingest_alerts_rejected_total{integration="json",reason="rate_limited"} 7.0',
        'tocsin_ingest_requests_rejected_total{integration="prom",reason="rate_limited",'
        'source="alertmanager"} 1.0',
        'tocsin_ingest_alerts_rejected_total{integration="prom",reason="rate_limited"} 2.0',
        'tocsin_ingest_alerts_accepted_total{integration="json"} 3.0',
    ]:
        assert line in metrics


def test_the_openapi_document_gives_each_endpoint_its_rate_limit_answer(ingest: Ingest) -> None:
    paths = ingest.get("/openapi.json").json()["paths"]

    def answers(path: str) -> dict[str, Any]:
        found: dict[str, Any] = paths[path]["post"]["responses"]
        return found

    for path in ["/api/v1/alerts/alertmanager", "/api/v1/alerts/grafana"]:
        assert "429" not in answers(path)
        assert "rate_limit" in answers(path)["503"]["description"]
    for path in [
        "/api/v1/alerts",
        "/v2/enqueue",
        "/v2/change/enqueue",
        "/v2/alerts",
        "/v2/alerts/{identifier}/close",
        "/v2/alerts/{identifier}/acknowledge",
    ]:
        assert "rate_limit" in answers(path)["429"]["description"]
    assert "429" not in answers("/api/v1/heartbeats/{name}")
