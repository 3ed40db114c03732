"""Property: any JSON value, and any mutation of a real payload, yields results or
`InvalidPayload`, never another exception; accepted results are well-formed, and every
accepted alert (built without validation, see `unvalidated.py`) is the alert pydantic's
validated construction gives for the same values, down to the bytes written to the log."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.ingest.acceptance import event_json
from services.ingest.normalizers import (
    InvalidPayload,
    LayerRule,
    NormalizeContext,
    normalize_alertmanager,
    normalize_canonical,
    normalize_grafana,
    normalize_opsgenie_acknowledge,
    normalize_opsgenie_close,
    normalize_opsgenie_create,
    normalize_pagerduty_change,
    normalize_pagerduty_event,
    pagerduty_error_body,
)
from shared.alerts import Alert, Layer, Severity
from shared.events.inputs import AlertReceived

CTX = NormalizeContext(
    "prop",
    "test",
    datetime(2026, 11, 27, 6, 50, tzinfo=UTC),  # just after the fixtures' alerts started
    default_labels={"env": "prod"},
    layer_rules=(LayerRule.parse('service=~"db|cache-.*"', "infrastructure"),),
    resolve_timeout=timedelta(minutes=5),
)
# Values that sit on the edges the normalizers care about.
EDGES = st.sampled_from(
    [
        "",
        " ",
        "firing",
        "resolved",
        "trigger",
        "acknowledge",
        "resolve",
        "critical",
        "P1",
        "P9",
        "4",
        "1",
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "2026-11-27T06:49:15.086990123Z",
        "ff87fab9a4226e28",
        "bad-name",
        "\ud800",
        "a\udfffb",
        "x" * 2100,
        -1,
        0,
        2**70,
        1.5,
        float("nan"),
    ]
)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12) | EDGES
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(max_size=8) | EDGES.filter(lambda e: isinstance(e, str)), inner, max_size=4
        )
    ),
    max_leaves=25,
)
PROPERTIES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def payload(name: str) -> Any:
    return json.loads((Path(__file__).parent / "payloads" / name).read_text())


@st.composite
def mutated(draw: st.DrawFn, original: Any) -> Any:
    """The original with 1-4 random edits: replace, delete or add a value somewhere inside."""
    document = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 4))):
        document = _mutate(draw, document)
    return document


def _mutate(draw: st.DrawFn, node: Any) -> Any:
    keys: list[Any] = (
        sorted(node)
        if isinstance(node, dict)
        else list(range(len(node)))
        if isinstance(node, list)
        else []
    )
    action = draw(st.sampled_from(["descend", "descend", "replace", "delete", "add"]))
    if keys and action == "descend":
        key = draw(st.sampled_from(keys))
        node[key] = _mutate(draw, node[key])
    elif keys and action == "delete":
        del node[draw(st.sampled_from(keys))]
    elif isinstance(node, dict) and action == "add":
        node[draw(st.text(max_size=8) | st.sampled_from(["labels", "status", "fingerprint"]))] = (
            draw(JSON)
        )
    elif isinstance(node, list) and action == "add":
        node.append(draw(JSON))
    else:
        return draw(JSON)
    return node


def _alerts(result: Any) -> list[Alert]:
    if isinstance(result, tuple):
        return list(result)
    return list(getattr(result, "alerts", ())) + (
        [result.alert] if hasattr(result, "alert") else []
    )


def check(normalize: Callable[[Any], Any], body: Any) -> None:
    try:
        result = normalize(body)
    except InvalidPayload as error:
        assert 1 <= len(error.errors) <= 50
        assert all(item.field and item.message for item in error.errors)
        pagerduty_error_body(error)  # error bodies can always be built
        return
    for alert in _alerts(result):
        assert 1 <= len(alert.fingerprint) <= 64
        assert alert.starts_at.tzinfo is not None and alert.received_at == CTX.received_at
        assert alert.status == "resolved" or alert.ends_at is not None  # resolve_timeout is set
        alert.model_dump_json().encode()  # what is accepted can be sent on
        assert_validated_alike(alert)


def assert_validated_alike(alert: Alert) -> None:
    """The alert equals `Alert(...)` of its values: same fields in the same order, each of the
    same type and value, the same JSON and the same log record payload."""
    validated = Alert(**alert.__dict__)
    assert list(alert.__dict__) == list(Alert.model_fields)
    assert _typed(alert) == _typed(validated)
    assert alert == validated and alert.model_fields_set == validated.model_fields_set
    assert alert.model_dump_json() == validated.model_dump_json()
    assert event_json(AlertReceived(alert=alert)) == event_json(AlertReceived(alert=validated))


def _typed(alert: Alert) -> dict[str, tuple[type, str]]:
    """Each field's type and repr (which tells an enum member from its string, and shows a
    datetime's zone)."""
    return {name: (type(value), repr(value)) for name, value in alert.__dict__.items()}


NORMALIZERS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "alertmanager": (lambda b: normalize_alertmanager(b, CTX), "alertmanager_webhook_v4.json"),
    "grafana": (lambda b: normalize_grafana(b, CTX), "grafana_webhook.json"),
    "pagerduty": (lambda b: normalize_pagerduty_event(b, CTX), "pagerduty_trigger.json"),
    "pagerduty_resolve": (lambda b: normalize_pagerduty_event(b, CTX), "pagerduty_resolve.json"),
    "pagerduty_change": (lambda b: normalize_pagerduty_change(b, CTX), "pagerduty_change.json"),
    "opsgenie_create": (lambda b: normalize_opsgenie_create(b, CTX), "opsgenie_create.json"),
    "opsgenie_close": (
        lambda b: normalize_opsgenie_close(b, "an alias", "alias", CTX),
        "opsgenie_close.json",
    ),
    "canonical": (lambda b: normalize_canonical(b, CTX), "alertmanager_webhook_v4.json"),
}


def original_of(name: str) -> Any:
    """The real payload a source's properties start from."""
    original = payload(NORMALIZERS[name][1])
    if name == "canonical":  # the canonical format takes Alertmanager API-style alert lists
        original = [{"labels": a["labels"], "startsAt": a["startsAt"]} for a in original["alerts"]]
    return original


@pytest.mark.parametrize("name", sorted(NORMALIZERS))
@PROPERTIES
@given(data=st.data())
def test_arbitrary_json_yields_results_or_invalid_payload(name: str, data: st.DataObject) -> None:
    normalize, _ = NORMALIZERS[name]

    check(normalize, data.draw(JSON))


@pytest.mark.parametrize("name", sorted(NORMALIZERS))
@PROPERTIES
@given(data=st.data())
def test_mutated_real_payloads_yield_results_or_invalid_payload(
    name: str, data: st.DataObject
) -> None:
    normalize, _ = NORMALIZERS[name]
    check(normalize, data.draw(mutated(original_of(name))))


@PROPERTIES
@given(
    body=JSON,
    identifier=st.text(max_size=20) | EDGES.filter(lambda e: isinstance(e, str)),
    identifier_type=st.none() | st.sampled_from(["id", "alias", "tiny", ""]) | st.text(max_size=5),
)
def test_opsgenie_acknowledge_with_any_identifier_yields_a_result_or_invalid_payload(
    body: Any, identifier: str, identifier_type: str | None
) -> None:
    check(lambda b: normalize_opsgenie_acknowledge(b, identifier, identifier_type, CTX), body)


def test_unmutated_fixtures_are_accepted() -> None:
    for name, (normalize, fixture) in NORMALIZERS.items():
        if name != "canonical":
            normalize(payload(fixture))


TEXT = st.text(max_size=10) | EDGES.filter(lambda e: isinstance(e, str))
# Around CTX.received_at (06:50Z) and its bounds on a start: + resolve_timeout (5m), + the skew.
TIMES = st.sampled_from(
    [
        "2026-11-27T06:49:15.086990123Z",
        "2026-11-27T06:50:00+00:00",
        "2026-11-27T12:19:59.5+05:30",
        "2026-11-27T06:55:00+0000",
        "2026-11-27T06:55:00.000001Z",
        "2026-11-27T07:50:00Z",
        "2026-11-27T07:50:00.000001Z",
        "2030-06-01T12:00:00Z",
        "0001-01-01T00:00:00Z",
    ]
)
LABEL_NAMES = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,8}", fullmatch=True) | st.sampled_from(
    ["alertname", "severity", "layer", "service", "app", "job", "team", "instance", "host"]
)
LABEL_VALUES = TEXT | st.sampled_from(["db", "cache-1", "infrastructure", "Business", "P2"])


@st.composite
def canonical_alert(draw: st.DrawFn) -> dict[str, Any]:
    """A canonical alert of valid shape, with any mix of the optional fields."""
    labels = draw(st.dictionaries(LABEL_NAMES, LABEL_VALUES, max_size=6))
    labels["alertname"] = draw(st.text(min_size=1, max_size=10))
    alert: dict[str, Any] = {"labels": labels}
    optional = {
        "annotations": st.dictionaries(st.text(max_size=6), TEXT, max_size=3),
        "status": st.sampled_from(["firing", "resolved"]),
        "severity": st.sampled_from([s.value for s in Severity]),
        "layer": st.sampled_from([layer.value for layer in Layer]),
        "service": TEXT,
        "team": TEXT,
        "summary": TEXT,
        draw(st.sampled_from(["starts_at", "startsAt"])): TIMES,
        draw(st.sampled_from(["ends_at", "endsAt"])): TIMES,
        "fingerprint": st.from_regex(r"[A-Za-z0-9._:-]{1,64}", fullmatch=True),
        draw(st.sampled_from(["generator_url", "generatorURL"])): TEXT,
    }
    for key, values in optional.items():
        if draw(st.booleans()):
            alert[key] = draw(st.none() | values)
    return alert


@st.composite
def retexted(draw: st.DrawFn, original: Any) -> Any:
    """The original with some of its strings replaced: same shape, other text."""
    if isinstance(original, dict):
        return {key: draw(retexted(value)) for key, value in original.items()}
    if isinstance(original, list):
        return [draw(retexted(item)) for item in original]
    if isinstance(original, str) and draw(st.integers(0, 7)) == 0:  # few: most stay valid
        return draw(TEXT | TIMES)
    return original


@PROPERTIES
@given(alerts=st.lists(canonical_alert(), min_size=1, max_size=4), webhook=st.booleans())
def test_valid_alerts_are_built_as_validation_would_build_them(
    alerts: list[dict[str, Any]], webhook: bool
) -> None:
    if webhook:  # the same alerts in an Alertmanager webhook (status required, camelCase)
        body = payload("alertmanager_webhook_v4.json")
        body["alerts"] = [_webhook_alert(alert) for alert in alerts]
        check(NORMALIZERS["alertmanager"][0], body)
    else:
        check(NORMALIZERS["canonical"][0], alerts)


def _webhook_alert(alert: dict[str, Any]) -> dict[str, Any]:
    renamed = {"starts_at": "startsAt", "ends_at": "endsAt", "generator_url": "generatorURL"}
    kept = {renamed.get(key, key): value for key, value in alert.items()}
    return {**kept, "status": kept.get("status") or "firing"}


@pytest.mark.parametrize("name", sorted(NORMALIZERS))
@PROPERTIES
@given(data=st.data())
def test_real_payloads_with_other_text_are_built_as_validation_would_build_them(
    name: str, data: st.DataObject
) -> None:
    normalize, _ = NORMALIZERS[name]

    check(normalize, data.draw(retexted(original_of(name))))
