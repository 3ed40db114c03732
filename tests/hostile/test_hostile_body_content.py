"""Bodies that are wrong in content, over real HTTP against `tocsin up`: huge or too many labels,
invalid UTF-8, not JSON at all, empty, numbers (and NaN, Infinity) where strings belong,
impossible durations. Each is a precise 4xx naming the field or the body: never a 5xx."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from services.ingest.examples import ALERTMANAGER_EXAMPLE, CANONICAL_EXAMPLE, GRAFANA_EXAMPLE
from services.ingest.examples_vendors import OPSGENIE_CREATE_EXAMPLE
from tests.hostile.hostile_app import Tocsin
from tests.hostile.hostile_bodies import (
    HEARTBEAT,
    INGEST,
    JSON_BODIES,
    PARSERS,
    PD_TRIGGER,
    Target,
    each,
    names,
    names_the_body,
    post,
)

# --- labels: too long, too many ---------------------------------------------------------------


def _alert_with_labels(labels: dict[str, str]) -> dict[str, Any]:
    base = ALERTMANAGER_EXAMPLE["alerts"][0]
    return {**base, "labels": {**base["labels"], **labels}}


HUGE = "v" * 100_000
MANY = {f"label_{n}": "v" for n in range(500)}
# (target name, body, the field the answer must name)
LABEL_ABUSE: list[tuple[str, Any, str]] = [
    (
        "alertmanager",
        {**ALERTMANAGER_EXAMPLE, "alerts": [_alert_with_labels({"huge": HUGE})]},
        "labels.huge",
    ),
    ("alertmanager", {**ALERTMANAGER_EXAMPLE, "alerts": [_alert_with_labels(MANY)]}, "labels"),
    (
        "alertmanager",
        {**ALERTMANAGER_EXAMPLE, "alerts": [_alert_with_labels({"n" * 5000: "v"})]},
        "labels",
    ),
    ("grafana", {**GRAFANA_EXAMPLE, "alerts": [_alert_with_labels({"huge": HUGE})]}, "labels.huge"),
    ("grafana", {**GRAFANA_EXAMPLE, "alerts": [_alert_with_labels(MANY)]}, "labels"),
    (
        "canonical",
        {**CANONICAL_EXAMPLE, "labels": {**CANONICAL_EXAMPLE["labels"], "huge": HUGE}},
        "labels.huge",
    ),
    ("canonical", {**CANONICAL_EXAMPLE, "labels": {"alertname": "A", **MANY}}, "labels"),
    (
        "pagerduty",
        {**PD_TRIGGER, "payload": {**PD_TRIGGER["payload"], "component": HUGE}},
        "payload.component",
    ),
    (
        "pagerduty",
        {**PD_TRIGGER, "payload": {**PD_TRIGGER["payload"], "custom_details": MANY}},
        "custom_details",
    ),
    ("opsgenie", {**OPSGENIE_CREATE_EXAMPLE, "details": MANY}, "details"),
    ("opsgenie", {**OPSGENIE_CREATE_EXAMPLE, "details": {"huge": HUGE}}, "details.huge"),
    ("opsgenie", {**OPSGENIE_CREATE_EXAMPLE, "tags": [f"t{n}" for n in range(500)]}, "tags"),
]
BY_NAME = {t.name: t for t in JSON_BODIES}


@pytest.mark.parametrize(
    ("name", "body", "field"),
    LABEL_ABUSE,
    ids=[f"{name}-{field}-{i}" for i, (name, _, field) in enumerate(LABEL_ABUSE)],
)
def test_huge_or_too_many_labels_are_refused_naming_the_field(
    client: httpx.Client, tocsin: Tocsin, name: str, body: Any, field: str
) -> None:
    target = BY_NAME[name]

    answer = post(client, tocsin, target, json.dumps(body).encode())

    expected = 400 if name.startswith("pagerduty") else 422  # PagerDuty's own status
    assert answer.status_code == expected, answer.text[:500]
    names(answer, field)


# --- bytes that are not JSON ------------------------------------------------------------------


def _with_raw_string(target: Target, raw: bytes) -> bytes:
    """The target's valid body with one string field replaced by the raw bytes `raw`."""
    text = json.dumps(target.valid)
    marker = '"__RAW__"'
    for key, value in target.valid.items():
        if isinstance(value, str) and key != "routing_key":
            text = json.dumps({**target.valid, key: "__RAW__"})
            break
    else:
        text = json.dumps({**target.valid, "note": "__RAW__"})
    return text.encode().replace(marker.encode(), b'"' + raw + b'"')


@each(PARSERS)
@pytest.mark.parametrize(
    "raw",
    [b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\x80"],
    ids=["ff-fe", "c3-28", "encoded-surrogate", "lone-continuation"],
)
def test_invalid_utf8_in_the_body_is_400(
    client: httpx.Client, tocsin: Tocsin, target: Target, raw: bytes
) -> None:
    answer = post(client, tocsin, target, _with_raw_string(target, raw))

    assert answer.status_code == 400, f"{target.name}: {answer.status_code} {answer.text[:300]}"
    names_the_body(answer)


@each(JSON_BODIES)
def test_a_number_too_long_to_read_is_a_4xx(
    client: httpx.Client, tocsin: Tocsin, target: Target
) -> None:
    # Python reads integers of at most 4,300 digits; past that, its JSON parser raises.
    raw = _with_raw_string(target, b"__DIGITS__").replace(b'"__DIGITS__"', b"9" * 5000)

    answer = post(client, tocsin, target, raw)

    assert 400 <= answer.status_code < 500, f"{target.name}: {answer.text[:300]}"


NOT_JSON = [
    ("application/x-www-form-urlencoded", b"labels=alertname&status=firing"),
    (
        "multipart/form-data; boundary=x",
        b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n',
    ),
    ("application/xml", b"<alert><labels alertname='A'/></alert>"),
    ("text/plain", b"NodeDown on node-7"),
    ("application/json", b'{"labels": {"alertname": "A"}'),  # cut short
]


@each(PARSERS)
@pytest.mark.parametrize(
    ("content_type", "raw"), NOT_JSON, ids=["form", "multipart", "xml", "text", "truncated"]
)
def test_a_body_that_is_not_json_is_a_4xx_naming_the_body(
    client: httpx.Client, tocsin: Tocsin, target: Target, content_type: str, raw: bytes
) -> None:
    answer = post(client, tocsin, target, raw, **{"Content-Type": content_type})

    names_the_body(answer)


# --- empty ------------------------------------------------------------------------------------

# What an empty body is to each: broken JSON, or (optional bodies) nothing to say, or a
# command missing its one field.
EMPTY_ANSWER = {
    "opsgenie-close": (202, ""),
    "snooze": (422, "duration"),
    "reassign": (422, "user"),
    "notes": (422, "text"),
    "commander": (422, "user"),
}


@each([*JSON_BODIES, HEARTBEAT])
@pytest.mark.parametrize("empty", [b"", b"   \r\n\t "], ids=["empty", "whitespace"])
def test_an_empty_body_is_refused_precisely_or_is_optional(
    client: httpx.Client, tocsin: Tocsin, target: Target, empty: bytes
) -> None:
    answer = post(client, tocsin, target, empty)

    if target.name in EMPTY_ANSWER:
        status, field = EMPTY_ANSWER[target.name]
        assert answer.status_code == status, answer.text
        if field:
            names(answer, field)
    elif target is HEARTBEAT:
        assert answer.status_code == 202, answer.text  # any body or none: the check-in counts
    else:
        assert answer.status_code == 400, answer.text
        names_the_body(answer)


# --- numbers where strings belong, NaN and Infinity -------------------------------------------

# (target, field to replace, the path the answer must name)
STRING_FIELDS = [
    ("alertmanager", ("alerts", 0, "labels", "alertname"), "labels.alertname"),
    ("grafana", ("alerts", 0, "labels", "alertname"), "labels.alertname"),
    ("canonical", ("labels", "alertname"), "labels.alertname"),
    ("pagerduty", ("payload", "summary"), "payload.summary"),
    ("pagerduty", ("routing_key",), "routing_key"),
    ("pagerduty-change", ("payload", "summary"), "payload.summary"),
    ("opsgenie", ("message",), "message"),
    ("opsgenie-close", ("user",), "user"),
    ("reassign", ("user",), "user"),
    ("notes", ("text",), "text"),
    ("commander", ("user",), "user"),
]
NUMBERS = [
    b"12345",
    b"-0.5",
    b"1e999",
    b"123456789012345678901234567890",
    b"true",
    b"NaN",
    b"Infinity",
    b"-Infinity",
]
# Not numbers JSON can carry: a strict parser (ingest's) refuses the body as a whole.
NON_JSON_NUMBERS = {b"NaN", b"Infinity", b"-Infinity", b"1e999"}


def _replaced(body: Any, where: tuple[str | int, ...], marker: str) -> Any:
    copy = json.loads(json.dumps(body))
    node = copy
    for step in where[:-1]:
        node = node[step]
    node[where[-1]] = marker
    return copy


@pytest.mark.parametrize(
    ("name", "where", "field"),
    STRING_FIELDS,
    ids=[f"{name}-{field}" for name, _, field in STRING_FIELDS],
)
@pytest.mark.parametrize("number", NUMBERS, ids=[n.decode() for n in NUMBERS])
def test_a_number_where_a_string_belongs_is_a_4xx_naming_the_field(
    client: httpx.Client,
    tocsin: Tocsin,
    name: str,
    where: tuple[str | int, ...],
    field: str,
    number: bytes,
) -> None:
    target = BY_NAME[name]
    raw = json.dumps(_replaced(target.valid, where, "__NUMBER__")).encode()

    answer = post(client, tocsin, target, raw.replace(b'"__NUMBER__"', number))

    if number in NON_JSON_NUMBERS and name in {t.name for t in INGEST}:
        assert answer.status_code == 400, answer.text  # not JSON at all, to a strict parser
        names_the_body(answer)
    else:
        names(answer, field)


@pytest.mark.parametrize(
    "duration",
    [
        b'"99999999999999999999999d"',
        b'"9999999999w"',
        b"1e308",
        b"NaN",
        b"Infinity",
        b"-1",
        b'"-5m"',
        b'"5 minutes"',
        b"[]",
        b"null",
    ],
)
def test_a_snooze_of_an_impossible_duration_is_422_naming_duration(
    client: httpx.Client, tocsin: Tocsin, duration: bytes
) -> None:
    answer = post(client, tocsin, BY_NAME["snooze"], b'{"duration": %s}' % duration)

    assert answer.status_code == 422, answer.text
    names(answer, "duration")
