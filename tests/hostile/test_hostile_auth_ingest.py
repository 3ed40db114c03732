"""Every credentialed ingest endpoint over HTTP against `tocsin up`: no credential, a wrong one,
another integration's (a Grafana token on Alertmanager's endpoint, a GenieKey as a PagerDuty
routing key...), the right one under the wrong scheme, a disabled integration's (403)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from services.ingest.examples import ALERTMANAGER_EXAMPLE, CANONICAL_EXAMPLE, GRAFANA_EXAMPLE
from services.ingest.examples_vendors import (
    OPSGENIE_ACTION_EXAMPLE,
    OPSGENIE_CREATE_EXAMPLE,
    PAGERDUTY_CHANGE_EXAMPLE,
    PAGERDUTY_TRIGGER_EXAMPLE,
)
from tests.hostile.hostile_app import (
    ALICE_TOKEN,
    AM_OFF_TOKEN,
    AM_TOKEN,
    CHATOPS_TOKEN,
    GENIE_KEY,
    GENIE_OFF_KEY,
    GRAFANA_OFF_TOKEN,
    GRAFANA_TOKEN,
    HEARTBEAT_TOKEN,
    JSON_OFF_TOKEN,
    JSON_TOKEN,
    OTHER_HEARTBEAT_TOKEN,
    PD_KEY,
    PD_OFF_KEY,
)

EVERY_SECRET = {
    "alertmanager": AM_TOKEN,
    "grafana": GRAFANA_TOKEN,
    "canonical": JSON_TOKEN,
    "pagerduty": PD_KEY,
    "opsgenie": GENIE_KEY,
    "heartbeat": HEARTBEAT_TOKEN,
    "user": ALICE_TOKEN,
    "service account": CHATOPS_TOKEN,
}
DISABLED_ELSEWHERE = [AM_OFF_TOKEN, GRAFANA_OFF_TOKEN, JSON_OFF_TOKEN, PD_OFF_KEY, GENIE_OFF_KEY]


@dataclass(frozen=True)
class Endpoint:
    """An ingest endpoint: where its credential goes, its own, and its disabled twin's."""

    kind: str
    path: str
    scheme: str  # "Bearer", "GenieKey", or "" for PagerDuty's body field
    secret: str
    disabled: str | None
    body: Any

    def request(self, credential: str | None, scheme: str | None = None) -> dict[str, Any]:
        """httpx arguments presenting `credential` (None: nothing at all)."""
        if not self.scheme:
            body = {k: v for k, v in self.body.items() if k != "routing_key"}
            if credential is not None:
                body["routing_key"] = credential
            return {"json": body}
        headers = {}
        if credential is not None:
            headers["Authorization"] = f"{scheme or self.scheme} {credential}"
        return {"json": self.body, "headers": headers}


ENDPOINTS = [
    Endpoint(
        "alertmanager",
        "/api/v1/alerts/alertmanager",
        "Bearer",
        AM_TOKEN,
        AM_OFF_TOKEN,
        ALERTMANAGER_EXAMPLE,
    ),
    Endpoint(
        "grafana",
        "/api/v1/alerts/grafana",
        "Bearer",
        GRAFANA_TOKEN,
        GRAFANA_OFF_TOKEN,
        GRAFANA_EXAMPLE,
    ),
    Endpoint(
        "canonical", "/api/v1/alerts", "Bearer", JSON_TOKEN, JSON_OFF_TOKEN, CANONICAL_EXAMPLE
    ),
    Endpoint("pagerduty", "/v2/enqueue", "", PD_KEY, PD_OFF_KEY, PAGERDUTY_TRIGGER_EXAMPLE),
    Endpoint(
        "pagerduty-change", "/v2/change/enqueue", "", PD_KEY, PD_OFF_KEY, PAGERDUTY_CHANGE_EXAMPLE
    ),
    Endpoint(
        "opsgenie", "/v2/alerts", "GenieKey", GENIE_KEY, GENIE_OFF_KEY, OPSGENIE_CREATE_EXAMPLE
    ),
    Endpoint(
        "opsgenie-close",
        "/v2/alerts/checkout-1/close?identifierType=alias",
        "GenieKey",
        GENIE_KEY,
        GENIE_OFF_KEY,
        OPSGENIE_ACTION_EXAMPLE,
    ),
    Endpoint(
        "opsgenie-ack",
        "/v2/alerts/checkout-1/acknowledge?identifierType=alias",
        "GenieKey",
        GENIE_KEY,
        GENIE_OFF_KEY,
        OPSGENIE_ACTION_EXAMPLE,
    ),
    Endpoint("heartbeat", "/api/v1/heartbeats/cron", "Bearer", HEARTBEAT_TOKEN, None, {}),
]
by_kind = pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.kind for e in ENDPOINTS])
IN_HEADER = [e for e in ENDPOINTS if e.scheme]
SCHEMES = ["Basic", "Token", "Bearer", "GenieKey"]


def pairs(found: list[tuple[Endpoint, str]]) -> list[Any]:
    return [pytest.param(e, second, id=f"{e.kind}-{second[:12]}") for e, second in found]


OTHER_SECRETS = pairs(
    [(e, secret) for e in ENDPOINTS for secret in EVERY_SECRET.values() if secret != e.secret]
)
OTHER_DISABLED = pairs(
    [(e, secret) for e in ENDPOINTS for secret in DISABLED_ELSEWHERE if secret != e.disabled]
)
OTHER_SCHEMES = pairs([(e, scheme) for e in IN_HEADER for scheme in SCHEMES if scheme != e.scheme])


def _refused(answer: httpx.Response, status: int, *secrets: str) -> None:
    assert answer.status_code == status, answer.text
    for secret in secrets:
        assert secret not in answer.text, "a refusal echoes the credential"


@by_kind
def test_the_right_credential_is_accepted(client: httpx.Client, endpoint: Endpoint) -> None:
    answer = client.post(endpoint.path, **endpoint.request(endpoint.secret))

    assert answer.status_code == 202, answer.text


@by_kind
def test_no_credential_is_refused(client: httpx.Client, endpoint: Endpoint) -> None:
    answer = client.post(endpoint.path, **endpoint.request(None))

    if endpoint.scheme:
        _refused(answer, 401)
    else:  # PagerDuty: the routing key is a required field of the event
        _refused(answer, 400)
        assert answer.json()["errors"] == ["'routing_key' is required"]


@by_kind
@pytest.mark.parametrize("wrong", ["not-a-credential", "x" * 10_000, "é-ünïcode"])
def test_a_wrong_credential_is_401(client: httpx.Client, endpoint: Endpoint, wrong: str) -> None:
    request = endpoint.request(wrong)
    if endpoint.scheme:  # header values travel as bytes: send the UTF-8 of the text
        request["headers"] = {"Authorization": f"{endpoint.scheme} {wrong}".encode()}

    answer = client.post(endpoint.path, **request)

    _refused(answer, 401, wrong)


@pytest.mark.parametrize("endpoint", IN_HEADER, ids=[e.kind for e in IN_HEADER])
def test_a_scheme_without_a_credential_is_401(client: httpx.Client, endpoint: Endpoint) -> None:
    answer = client.post(
        endpoint.path, json=endpoint.body, headers={"Authorization": endpoint.scheme}
    )

    _refused(answer, 401)


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_routing_key_is_400_saying_it_is_required(client: httpx.Client, blank: str) -> None:
    answer = client.post("/v2/enqueue", json={**PAGERDUTY_TRIGGER_EXAMPLE, "routing_key": blank})

    assert answer.status_code == 400, answer.text
    # It is a string: "must be a string" would send the sender looking in the wrong place.
    assert answer.json()["errors"] == ["'routing_key' is required"]


@pytest.mark.parametrize(("endpoint", "secret"), OTHER_SECRETS)
def test_another_integrations_credential_is_401(
    client: httpx.Client, endpoint: Endpoint, secret: str
) -> None:
    answer = client.post(endpoint.path, **endpoint.request(secret))

    _refused(answer, 401, secret)


@pytest.mark.parametrize(("endpoint", "disabled"), OTHER_DISABLED)
def test_a_disabled_integration_of_another_type_is_401_not_403(
    client: httpx.Client, endpoint: Endpoint, disabled: str
) -> None:
    answer = client.post(endpoint.path, **endpoint.request(disabled))

    _refused(answer, 401, disabled)


@pytest.mark.parametrize(
    "endpoint", [e for e in ENDPOINTS if e.disabled], ids=[e.kind for e in ENDPOINTS if e.disabled]
)
def test_a_disabled_integration_is_403_naming_it(client: httpx.Client, endpoint: Endpoint) -> None:
    assert endpoint.disabled is not None
    answer = client.post(endpoint.path, **endpoint.request(endpoint.disabled))

    _refused(answer, 403, endpoint.disabled)
    assert "disabled" in answer.text


@pytest.mark.parametrize(("endpoint", "scheme"), OTHER_SCHEMES)
def test_the_right_secret_under_another_scheme_is_401(
    client: httpx.Client, endpoint: Endpoint, scheme: str
) -> None:
    answer = client.post(endpoint.path, **endpoint.request(endpoint.secret, scheme))

    _refused(answer, 401, endpoint.secret)


def test_a_heartbeat_token_of_another_heartbeat_is_403(client: httpx.Client) -> None:
    answer = client.post(
        "/api/v1/heartbeats/cron", headers={"Authorization": f"Bearer {OTHER_HEARTBEAT_TOKEN}"}
    )

    _refused(answer, 403, OTHER_HEARTBEAT_TOKEN)


def test_an_unknown_heartbeat_is_404_only_with_a_valid_token(client: httpx.Client) -> None:
    anonymous = client.post("/api/v1/heartbeats/no-such-beat")
    known = client.post(
        "/api/v1/heartbeats/no-such-beat", headers={"Authorization": f"Bearer {HEARTBEAT_TOKEN}"}
    )

    _refused(anonymous, 401)
    _refused(known, 404, HEARTBEAT_TOKEN)
