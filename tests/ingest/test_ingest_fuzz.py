"""Whatever a sender posts, ingest answers 2xx or a precise 4xx: never a 5xx, never a crash."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.ingest.examples import ALERTMANAGER_EXAMPLE, CANONICAL_EXAMPLE, GRAFANA_EXAMPLE
from services.ingest.examples_vendors import (
    OPSGENIE_ACTION_EXAMPLE,
    OPSGENIE_CREATE_EXAMPLE,
    PAGERDUTY_CHANGE_EXAMPLE,
    PAGERDUTY_RESOLVE_EXAMPLE,
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

GENIE = {"Authorization": f"GenieKey {GENIE_KEY}"}
PD_TRIGGER = {**PAGERDUTY_TRIGGER_EXAMPLE, "routing_key": PD_KEY}
# (path, credential header, a valid body to start mutating from)
TARGETS: list[tuple[str, dict[str, str], Any]] = [
    ("/api/v1/alerts/alertmanager", {"Authorization": f"Bearer {AM_TOKEN}"}, ALERTMANAGER_EXAMPLE),
    ("/api/v1/alerts/grafana", {"Authorization": f"Bearer {GRAFANA_TOKEN}"}, GRAFANA_EXAMPLE),
    ("/api/v1/alerts", {"Authorization": f"Bearer {JSON_TOKEN}"}, [CANONICAL_EXAMPLE]),
    ("/v2/enqueue", {}, PD_TRIGGER),
    ("/v2/enqueue", {}, {**PAGERDUTY_RESOLVE_EXAMPLE, "routing_key": PD_KEY}),
    ("/v2/change/enqueue", {}, {**PAGERDUTY_CHANGE_EXAMPLE, "routing_key": PD_KEY}),
    ("/v2/alerts", GENIE, OPSGENIE_CREATE_EXAMPLE),
    ("/v2/alerts/x-1/close?identifierType=alias", GENIE, OPSGENIE_ACTION_EXAMPLE),
    ("/v2/alerts/abc/acknowledge", GENIE, OPSGENIE_ACTION_EXAMPLE),
    ("/api/v1/heartbeats/prometheus", {"Authorization": f"Bearer {HEARTBEAT_TOKEN}"}, {}),
]
# Bodies that have broken JSON stacks before: nesting, lone surrogates, huge numbers.
NASTY = [
    b"[" * 5000 + b"]" * 5000,
    b'{"a":' * 3000 + b"1" + b"}" * 3000,
    b'{"labels": {"alertname": "\\ud800"}}',
    b'{"routing_key": "\\udfff", "event_action": "trigger"}',
    b'{"message": "m", "alias": "\\ud83d"}',
    b"123456789012345678901234567890",
    b'{"alerts": [{"status": "firing", "labels": {"alertname": 1e999}}]}',
    b"\xff\xfe\x00",
    b"",
    b"null",
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def _slots(value: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) in a JSON value, the root excluded."""
    found: list[tuple[Any, Any]] = []
    pending = [value]
    while pending:
        node = pending.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in list(items):
            found.append((node, key))
            if isinstance(child, dict | list):
                pending.append(child)
    return found


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> Any:
    value = copy.deepcopy(base)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        slots = _slots(value) if isinstance(value, dict | list) else []
        if not slots:
            return draw(json_values)
        container, key = draw(st.sampled_from(slots))
        if isinstance(container, dict) and draw(st.booleans()):
            del container[key]
        else:
            container[key] = draw(json_values)
    return value


@pytest.fixture(scope="module")
def ingest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ingest]:
    with running_ingest(tmp_path_factory.mktemp("fuzz")) as running:
        yield running


def assert_answered_well(ingest: Ingest, path: str, headers: dict[str, str], raw: bytes) -> None:
    answer = ingest.post(path, content=raw, headers={**headers, "Content-Type": "application/json"})
    assert 200 <= answer.status_code < 500, (answer.status_code, answer.text, raw[:300])
    assert isinstance(answer.json(), dict)


FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(data=st.data())
def test_mutated_valid_bodies_get_2xx_or_4xx(ingest: Ingest, data: st.DataObject) -> None:
    path, headers, base = data.draw(st.sampled_from(TARGETS))
    body = data.draw(mutated(base))
    if isinstance(body, dict) and "routing_key" in base and data.draw(st.booleans()):
        body["routing_key"] = PD_KEY  # keep the credential, so validation is what is tested
    raw = json.dumps(body, ensure_ascii=data.draw(st.booleans())).encode()

    assert_answered_well(ingest, path, headers, raw)


@FUZZ
@given(data=st.data())
def test_random_bodies_get_2xx_or_4xx(ingest: Ingest, data: st.DataObject) -> None:
    path, headers, _ = data.draw(st.sampled_from(TARGETS))
    raw = data.draw(
        st.binary(max_size=200)
        | json_values.map(lambda value: json.dumps(value).encode())
        | st.sampled_from(NASTY)
    )

    assert_answered_well(ingest, path, headers, raw)
