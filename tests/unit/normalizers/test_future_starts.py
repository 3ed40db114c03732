"""A start too far after the receive time is refused, naming the field, by every source that
carries one: beyond the clock skew always, and, for an alert without an end when the
integration has a `resolve_timeout`, beyond `received_at + resolve_timeout` (Alertmanager's
API refuses that one too: the end it gives such an alert would precede its start)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.ingest.normalizers import (
    FieldError,
    InvalidPayload,
    NormalizeContext,
    normalize_alertmanager,
    normalize_canonical,
    normalize_grafana,
    normalize_opsgenie_create,
    normalize_pagerduty_change,
    normalize_pagerduty_event,
    pagerduty_error_body,
)
from services.ingest.normalizers.canonical import checked_drafts
from services.ingest.normalizers.canonical_fast import valid_alerts, valid_drafts

RECEIVED_AT = datetime(2026, 11, 27, 6, 50, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
SKEWED = "must not be more than 1h after the receive time: is the sender's clock right?"
TIMED_OUT = (
    "must not be later than the receive time plus resolve_timeout (5m) for an alert without"
    " an end: it would end before it starts"
)
BEFORE_START = "must not be before the start time"
GO_ZERO = "0001-01-01T00:00:00Z"


def context(resolve_timeout: timedelta | None) -> NormalizeContext:
    return NormalizeContext("future", "test", RECEIVED_AT, resolve_timeout=resolve_timeout)


def at(offset: timedelta) -> str:
    return (RECEIVED_AT + offset).isoformat().replace("+00:00", "Z")


def payload(name: str) -> Any:
    return json.loads((Path(__file__).parent / "payloads" / name).read_text())


@dataclass(frozen=True)
class Source:
    """How one source carries a start (and an end, if it can) and names them in errors."""

    body: Callable[[str, str | None], Any]
    normalize: Callable[[Any, NormalizeContext], Any]
    start_field: str
    end_field: str | None  # None: the source sends no end


def _canonical(start_key: str, end_key: str) -> Callable[[str, str | None], Any]:
    def body(start: str, end: str | None) -> Any:
        alert = {"labels": {"alertname": "Disk"}, start_key: start}
        return [alert] if end is None else [{**alert, end_key: end}]

    return body


def _webhook(fixture: str) -> Callable[[str, str | None], Any]:
    def body(start: str, end: str | None) -> Any:
        document = payload(fixture)
        alert = document["alerts"][0] | {"status": "firing", "startsAt": start}
        document["alerts"] = [alert | {"endsAt": GO_ZERO if end is None else end}]
        return document

    return body


def _pagerduty(fixture: str) -> Callable[[str, str | None], Any]:
    def body(start: str, end: str | None) -> Any:
        assert end is None
        document = payload(fixture)
        document["payload"]["timestamp"] = start
        return document

    return body


def _alerts(result: Any) -> list[Any]:
    if isinstance(result, tuple):
        return list(result)
    return [result.alert] if hasattr(result, "alert") else list(result.alerts)


CANONICAL = Source(
    _canonical("starts_at", "ends_at"), normalize_canonical, "[0].starts_at", "[0].ends_at"
)
API_V2 = Source(_canonical("startsAt", "endsAt"), normalize_canonical, "[0].startsAt", "[0].endsAt")
ALERTMANAGER = Source(
    _webhook("alertmanager_webhook_v4.json"),
    normalize_alertmanager,
    "alerts[0].startsAt",
    "alerts[0].endsAt",
)
GRAFANA = Source(
    _webhook("grafana_webhook.json"), normalize_grafana, "alerts[0].startsAt", "alerts[0].endsAt"
)
PAGERDUTY = Source(
    _pagerduty("pagerduty_trigger.json"), normalize_pagerduty_event, "payload.timestamp", None
)
SOURCES = {
    "canonical": CANONICAL,
    "api_v2": API_V2,
    "alertmanager": ALERTMANAGER,
    "grafana": GRAFANA,
    "pagerduty": PAGERDUTY,
}
WITH_END = {name: source for name, source in SOURCES.items() if source.end_field}

HOUR = timedelta(hours=1)
FIVE_MINUTES = 5 * MINUTE
# (start after receipt, resolve_timeout, the error on the start or None if accepted)
WITHOUT_END = [
    pytest.param(2 * HOUR, None, SKEWED, id="2h-ahead"),
    pytest.param(2 * HOUR, FIVE_MINUTES, TIMED_OUT, id="2h-ahead-timeout"),
    pytest.param(30 * MINUTE, None, None, id="30min-ahead"),
    pytest.param(HOUR, None, None, id="exactly-the-skew"),
    pytest.param(HOUR + timedelta(microseconds=1), None, SKEWED, id="just-past-the-skew"),
    pytest.param(FIVE_MINUTES, FIVE_MINUTES, None, id="exactly-the-timeout"),
    pytest.param(6 * MINUTE, FIVE_MINUTES, TIMED_OUT, id="past-the-timeout"),
    pytest.param(90 * MINUTE, 2 * HOUR, SKEWED, id="timeout-longer-than-the-skew"),
    pytest.param(-HOUR, FIVE_MINUTES, None, id="in-the-past"),
]


def refusal(source: Source, body: Any, ctx: NormalizeContext) -> list[FieldError]:
    with pytest.raises(InvalidPayload) as caught:
        source.normalize(body, ctx)
    return caught.value.errors


@pytest.mark.parametrize(("ahead", "resolve_timeout", "error"), WITHOUT_END)
@pytest.mark.parametrize("name", sorted(SOURCES))
def test_a_start_without_an_end_is_held_to_the_skew_and_the_resolve_timeout(
    name: str, ahead: timedelta, resolve_timeout: timedelta | None, error: str | None
) -> None:
    source, ctx = SOURCES[name], context(resolve_timeout)
    body = source.body(at(ahead), None)

    if error is not None:
        assert refusal(source, body, ctx) == [FieldError(source.start_field, error)]
    else:
        (alert,) = _alerts(source.normalize(body, ctx))
        assert alert.starts_at == RECEIVED_AT + ahead
        assert alert.ends_at == (None if resolve_timeout is None else RECEIVED_AT + resolve_timeout)


# (start after receipt, end after receipt, with resolve_timeout 5m: the errors or [] if accepted)
WITH_AN_END = [
    pytest.param(10 * MINUTE, 20 * MINUTE, [], id="end-given-past-the-timeout"),
    pytest.param(HOUR, 2 * HOUR, [], id="end-given-exactly-the-skew"),
    pytest.param(2 * HOUR, 3 * HOUR, [("start", SKEWED)], id="end-given-2h-ahead"),
    pytest.param(10 * MINUTE, 5 * MINUTE, [("end", BEFORE_START)], id="end-before-start"),
    pytest.param(
        2 * HOUR, HOUR, [("start", SKEWED), ("end", BEFORE_START)], id="both-rules-broken"
    ),
]


@pytest.mark.parametrize(("ahead", "end", "errors"), WITH_AN_END)
@pytest.mark.parametrize("name", sorted(WITH_END))
def test_a_start_with_an_end_is_held_to_the_skew_and_the_end(
    name: str, ahead: timedelta, end: timedelta, errors: list[tuple[str, str]]
) -> None:
    source, ctx = WITH_END[name], context(FIVE_MINUTES)
    body = source.body(at(ahead), at(end))
    fields = {"start": source.start_field, "end": source.end_field}

    if errors:
        expected = [FieldError(str(fields[which]), message) for which, message in errors]
        assert refusal(source, body, ctx) == expected
    else:
        (alert,) = _alerts(source.normalize(body, ctx))
        assert (alert.starts_at, alert.ends_at) == (RECEIVED_AT + ahead, RECEIVED_AT + end)


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_the_audited_start_in_the_year_9999_is_refused(name: str) -> None:
    source = SOURCES[name]

    errors = refusal(source, source.body("9999-12-31T23:59:59Z", None), context(FIVE_MINUTES))

    assert errors == [FieldError(source.start_field, TIMED_OUT)]


@pytest.mark.parametrize(("ahead", "resolve_timeout", "error"), WITHOUT_END)
@pytest.mark.parametrize("name", ["canonical", "api_v2"])
def test_the_fast_path_refuses_the_starts_the_slow_reader_refuses(
    name: str, ahead: timedelta, resolve_timeout: timedelta | None, error: str | None
) -> None:
    ctx = context(resolve_timeout)
    body = SOURCES[name].body(at(ahead), None)

    drafts = valid_drafts(body, ctx)

    if error is not None:
        assert drafts is None and valid_alerts(body, ctx) is None
    else:
        assert drafts == checked_drafts(body, ctx)
        assert valid_alerts(body, ctx) == normalize_canonical(body, ctx)


def test_a_pagerduty_refusal_names_the_timestamp_in_pagerdutys_shape() -> None:
    body = PAGERDUTY.body(at(2 * HOUR), None)

    with pytest.raises(InvalidPayload) as caught:
        normalize_pagerduty_event(body, context(None))

    assert pagerduty_error_body(caught.value)["errors"] == [f"'payload.timestamp' {SKEWED}"]


def refusal_of_change(body: Any, ctx: NormalizeContext) -> list[FieldError]:
    with pytest.raises(InvalidPayload) as caught:
        normalize_pagerduty_change(body, ctx)
    return caught.value.errors


def test_a_change_event_is_held_to_the_skew_but_not_to_the_resolve_timeout() -> None:
    body = payload("pagerduty_change.json")
    ctx = context(FIVE_MINUTES)

    body["payload"]["timestamp"] = at(30 * MINUTE)
    assert normalize_pagerduty_change(body, ctx).occurred_at == RECEIVED_AT + 30 * MINUTE

    body["payload"]["timestamp"] = at(2 * HOUR)
    assert refusal_of_change(body, ctx) == [FieldError("payload.timestamp", SKEWED)]


def test_an_opsgenie_create_has_no_start_of_its_own_so_it_starts_when_received() -> None:
    body = payload("opsgenie_create.json") | {"createdAt": at(2 * HOUR)}

    result = normalize_opsgenie_create(body, context(FIVE_MINUTES))

    assert result.alert.starts_at == RECEIVED_AT
