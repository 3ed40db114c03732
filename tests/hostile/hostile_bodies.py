"""What the body-abuse tests share: the endpoints that read a body, each with its credential
and a body it accepts, and how to read which field an error answer names."""

from __future__ import annotations

import time
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
    ALICE,
    AM_TOKEN,
    GENIE_KEY,
    GRAFANA_TOKEN,
    HEARTBEAT_TOKEN,
    JSON_TOKEN,
    PD_KEY,
    Tocsin,
    bearer,
    genie,
)

DEADLINE_S = 10.0  # no request may take longer: a hang is a failure, not a wait


@dataclass(frozen=True)
class Target:
    """An endpoint that reads a JSON body, with its credential and a body it accepts."""

    name: str
    path: str  # `{incident}` is replaced by the shared incident's id
    headers: dict[str, str]
    valid: Any

    def url(self, tocsin: Tocsin) -> str:
        return self.path.replace("{incident}", tocsin.incident_id)


PD_TRIGGER = {**PAGERDUTY_TRIGGER_EXAMPLE, "routing_key": PD_KEY}
INGEST = [
    Target("alertmanager", "/api/v1/alerts/alertmanager", bearer(AM_TOKEN), ALERTMANAGER_EXAMPLE),
    Target("grafana", "/api/v1/alerts/grafana", bearer(GRAFANA_TOKEN), GRAFANA_EXAMPLE),
    Target("canonical", "/api/v1/alerts", bearer(JSON_TOKEN), CANONICAL_EXAMPLE),
    Target("pagerduty", "/v2/enqueue", {}, PD_TRIGGER),
    Target(
        "pagerduty-change",
        "/v2/change/enqueue",
        {},
        {**PAGERDUTY_CHANGE_EXAMPLE, "routing_key": PD_KEY},
    ),
    Target("opsgenie", "/v2/alerts", genie(GENIE_KEY), OPSGENIE_CREATE_EXAMPLE),
    Target(
        "opsgenie-close",
        "/v2/alerts/abuse-1/close?identifierType=alias",
        genie(GENIE_KEY),
        OPSGENIE_ACTION_EXAMPLE,
    ),
]
INCIDENTS = [
    Target("snooze", "/api/v1/incidents/{incident}/snooze", ALICE, {"duration": "5m"}),
    Target("reassign", "/api/v1/incidents/{incident}/reassign", ALICE, {"user": "alice"}),
    Target("notes", "/api/v1/incidents/{incident}/notes", ALICE, {"text": "a note"}),
    Target("commander", "/api/v1/incidents/{incident}/commander", ALICE, {"user": "alice"}),
]
HEARTBEAT = Target("heartbeat", "/api/v1/heartbeats/cron", bearer(HEARTBEAT_TOKEN), {})
JSON_BODIES = INGEST + INCIDENTS
# The incidents API reads every command body alike (`answers.parse_body`): one command stands
# for all where the body as a whole is judged.
PARSERS = [*INGEST, INCIDENTS[2]]
SIZED = [*PARSERS, HEARTBEAT]


def each(targets: list[Target]) -> Any:
    return pytest.mark.parametrize("target", targets, ids=[t.name for t in targets])


def post(client: httpx.Client, tocsin: Tocsin, target: Target, raw: bytes, **headers: str) -> Any:
    """Post `raw` as it is; the answer, which must come within the deadline and not be 5xx."""
    started = time.monotonic()
    answer = client.post(target.url(tocsin), content=raw, headers={**target.headers, **headers})
    assert time.monotonic() - started < DEADLINE_S
    assert answer.status_code < 500, f"{target.name}: {answer.status_code} {answer.text[:500]}"
    return answer


def fields(answer: httpx.Response) -> list[str]:
    """The fields an error answer names, in any of the shapes Tocsin answers in: its own
    (`[{"field"}]`), PagerDuty's (`["'field' message"]`), Opsgenie's (`{field: message}`)."""
    try:
        errors = answer.json().get("errors")
    except ValueError:
        return []
    if isinstance(errors, dict):
        return list(errors)
    found = []
    for error in errors or []:
        if isinstance(error, dict):
            found.append(str(error.get("field")))
        elif isinstance(error, str) and error.startswith("'"):
            found.append(error[1:].partition("'")[0])
    return found


def names(answer: httpx.Response, field: str) -> None:
    """A 4xx whose errors name `field` (or a path ending in it)."""
    assert 400 <= answer.status_code < 500, answer.text[:500]
    named = fields(answer)
    assert any(field in name for name in named), f"{field!r} not in {named}: {answer.text[:500]}"


def names_the_body(answer: httpx.Response) -> None:
    """The whole body is the problem: ingest names `$`, the incidents API `(body)`."""
    assert 400 <= answer.status_code < 500, answer.text[:500]
    named = fields(answer)
    assert "$" in named or "(body)" in named, f"the body not named in {answer.text[:500]}"
    assert "JSON" in answer.text, answer.text[:500]
