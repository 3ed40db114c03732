"""Schemathesis against Tocsin's own OpenAPI document, over real HTTP: every documented
operation, with valid credentials (no 5xx, answers as documented) and without (only 401/403).

Operations are read from the running app's `/openapi.json`, so endpoints that land later are
fuzzed too; `test_every_documented_operation_has_a_known_credential` says when one needs a
credential this file does not know yet.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.router.links import action_link
from tests.hostile.hostile_app import (
    ALICE,
    AM_TOKEN,
    CHATOPS,
    GENIE_KEY,
    GRAFANA_TOKEN,
    HEARTBEAT_TOKEN,
    JSON_TOKEN,
    LINK_SECRET,
    PD_KEY,
    Tocsin,
    bearer,
    genie,
)

EXAMPLES = 5  # per operation and generation mode: the whole folder must stay under ~90 s
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    # The request schemas of ingest are deliberately loose (`{"type": "object"}`: the handler
    # validates), so `positive_data_acceptance` would only restate that; a body the schema
    # forbids must still be refused.
    negative_data_rejection,
]
PUBLIC = {"/healthz", "/readyz", "/metrics"}
PAGERDUTY = {"/v2/enqueue", "/v2/change/enqueue"}
LINK = "/api/v1/incidents/{incident_id}/{action}/link"


@dataclass(frozen=True)
class Credential:
    """How a caller proves who it is on one path: a header, or PagerDuty's body field."""

    headers: dict[str, str]
    routing_key: str | None = None


def credential_for(path: str) -> Credential | None:
    """The valid credential of each documented path; None for an unknown one."""
    fixed = {
        "/api/v1/alerts/alertmanager": Credential(bearer(AM_TOKEN)),
        "/api/v1/alerts/grafana": Credential(bearer(GRAFANA_TOKEN)),
        "/api/v1/alerts": Credential(bearer(JSON_TOKEN)),
        "/v2/enqueue": Credential({}, PD_KEY),
        "/v2/change/enqueue": Credential({}, PD_KEY),
        "/api/v1/heartbeats/{name}": Credential(bearer(HEARTBEAT_TOKEN)),
        LINK: Credential({}),  # the signature in the query is the credential
        "/api/v1/rules/reload": Credential(CHATOPS),  # service accounts may reload rules
    }
    if path in fixed:
        return fixed[path]
    if path in PUBLIC:
        return Credential({})
    if path.startswith("/v2/alerts"):
        return Credential(genie(GENIE_KEY))
    if path.startswith(("/api/v1/incidents", "/api/v1/silences", "/api/v1/analytics")):
        return Credential(ALICE if len(path) % 2 else CHATOPS)
    return None


def _picked(value: Any) -> bool:
    """Half of the generated values are swapped for a real one: stable per value."""
    return zlib.crc32(repr(value).encode()) % 2 == 0


def authenticate(case: Any, tocsin: Tocsin) -> None:
    """Give a generated case valid credentials, and real identifiers half of the time."""
    path = case.operation.path
    credential = credential_for(path) or Credential(ALICE)
    case.headers = {**(case.headers or {}), **credential.headers}
    if credential.routing_key is not None and isinstance(case.body, dict):
        case.body = {**case.body, "routing_key": credential.routing_key}
    parameters = case.path_parameters or {}
    if "incident_id" in parameters and _picked(parameters["incident_id"]):
        parameters["incident_id"] = tocsin.incident_id
    if "name" in parameters and _picked(parameters["name"]):
        parameters["name"] = "cron"
    if "action" in parameters and _picked(parameters["action"]):
        parameters["action"] = "acknowledge" if len(str(parameters["action"])) % 2 else "resolve"
    if path == LINK:
        _sign(case, parameters)


def _sign(case: Any, parameters: dict[str, Any]) -> None:
    """A valid signature for whatever incident, action and recipient were generated."""
    query = case.query or {}
    recipient = query.get("r")
    link = action_link(
        "http://x",
        LINK_SECRET.encode(),
        unquote(str(parameters.get("incident_id", ""))),  # generated values come percent-encoded
        unquote(str(parameters.get("action", ""))),
        datetime.now(UTC),
        lifetime=timedelta(hours=1),
        recipient=recipient if isinstance(recipient, str) else "",
    )
    signed = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
    case.query = {**query, **signed}


def strip_credentials(case: Any) -> None:
    """No credential at all; PagerDuty's, which is in the body, is one nobody was given."""
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    case.headers = headers
    if case.operation.path in PAGERDUTY and isinstance(case.body, dict):
        case.body = {**case.body, "routing_key": "f" * 32}
    if case.operation.path == LINK:
        case.query = {k: v for k, v in (case.query or {}).items() if k != "s"}


@pytest.fixture(scope="module")
def api_schema(tocsin: Tocsin) -> Any:
    return schemathesis.openapi.from_url(tocsin.url("/openapi.json"))


def operations(api_schema: Any) -> list[Any]:
    found = []
    for result in api_schema.get_all_operations():
        assert isinstance(result, Ok), result
        found.append(result.ok())
    return found


def fuzz(
    operation: Any, mode: GenerationMode, examples: int, body: Callable[[Any], None]
) -> str | None:
    """Run `body` on `examples` generated cases; the failure Schemathesis reports, or None."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],  # no shrinking: bounded time, failures as found
    )
    def run(case: Any) -> None:
        body(case)

    try:
        run()
    except Unsatisfiable:  # nothing to make invalid (no parameters, no body)
        return None
    except (Exception, BaseExceptionGroup) as failure:  # FailureGroup is a BaseExceptionGroup
        return f"{operation.label} ({mode.value}): {failure}"
    return None


def test_every_documented_operation_has_a_known_credential(api_schema: Any) -> None:
    unknown = [op.label for op in operations(api_schema) if credential_for(op.path) is None]

    assert not unknown, f"teach credential_for() the credential of {unknown}"


def test_with_credentials_every_operation_answers_as_documented_and_never_5xx(
    api_schema: Any, tocsin: Tocsin
) -> None:
    def call(case: Any) -> None:
        authenticate(case, tocsin)
        case.call_and_validate(base_url=tocsin.base, timeout=10, checks=CHECKS)

    failures = [
        failure
        for operation in operations(api_schema)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        if (failure := fuzz(operation, mode, EXAMPLES, call)) is not None
    ]

    assert not failures, "\n\n".join(failures)


def test_without_credentials_every_protected_operation_answers_only_401_or_403(
    api_schema: Any, tocsin: Tocsin
) -> None:
    def call(case: Any) -> None:
        strip_credentials(case)
        response = case.call(base_url=tocsin.base, timeout=10)
        allowed = {401, 403}
        action = (case.path_parameters or {}).get("action")
        if case.operation.path == LINK and action not in ("acknowledge", "resolve"):
            allowed.add(404)  # no such route: nothing a credential would open
        if case.operation.path in PAGERDUTY and not isinstance(case.body, dict):
            allowed.add(400)  # no object, so no routing key to judge
        assert response.status_code in allowed, (
            f"{case.operation.label} answered {response.status_code} without a credential: "
            f"{response.text[:300]}\n{case.as_curl_command()}"
        )

    protected = [op for op in operations(api_schema) if op.path not in PUBLIC]
    failures = [
        failure
        for operation in protected
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        if (failure := fuzz(operation, mode, 3, call)) is not None
    ]

    assert not failures, "\n\n".join(failures)
