"""The canonical reader's fast path agrees with the reader that reports every problem: for any
body, it gives up or gives exactly the slow reader's drafts; for any body the slow reader
accepts, it does not give up; and its alerts are those the slow drafts assemble into."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.ingest.normalizers import InvalidPayload, normalize_canonical
from services.ingest.normalizers.assemble import assemble_all
from services.ingest.normalizers.canonical import checked_drafts
from services.ingest.normalizers.canonical_fast import valid_alerts, valid_drafts
from services.ingest.normalizers.limits import Limits
from tests.unit.normalizers.test_normalizer_properties import (
    CTX,
    JSON,
    PROPERTIES,
    canonical_alert,
    mutated,
    original_of,
    retexted,
)


def assert_agrees_with_the_slow_reader(body: Any) -> None:
    fast = valid_drafts(body, CTX)
    try:
        slow = checked_drafts(body, CTX)
    except InvalidPayload:
        assert fast is None
        assert valid_alerts(body, CTX) is None
        return
    assert fast == slow
    assert valid_alerts(body, CTX) == assemble_all(slow, CTX)
    assert normalize_canonical(body, CTX) == assemble_all(slow, CTX)


@PROPERTIES
@given(body=JSON)
def test_any_json_is_read_by_both_readers_alike(body: Any) -> None:
    assert_agrees_with_the_slow_reader(body)


@PROPERTIES
@given(data=st.data())
def test_mutated_alert_lists_are_read_by_both_readers_alike(data: st.DataObject) -> None:
    assert_agrees_with_the_slow_reader(data.draw(mutated(original_of("canonical"))))


@PROPERTIES
@given(alerts=st.lists(canonical_alert(), max_size=4), single=st.booleans())
def test_valid_alerts_are_read_by_both_readers_alike(
    alerts: list[dict[str, Any]], single: bool
) -> None:
    assert_agrees_with_the_slow_reader(alerts[0] if single and alerts else alerts)


@PROPERTIES
@given(data=st.data())
def test_alerts_with_other_text_are_read_by_both_readers_alike(data: st.DataObject) -> None:
    assert_agrees_with_the_slow_reader(data.draw(retexted(original_of("canonical"))))


VALID = {"labels": {"alertname": "Disk", "instance": "h1"}, "startsAt": "2026-01-01T00:00:00Z"}


@pytest.mark.parametrize(
    "body",
    [
        {**VALID, "colour": "red"},
        {**VALID, "starts_at": "2026-01-01T00:00:00Z"},
        {**VALID, "labels": {"alertname": "Disk", "bad-name": "x"}},
        {**VALID, "labels": {"instance": "h1"}},
        {**VALID, "annotations": {"summary": 1}},
        {**VALID, "endsAt": "2025-12-31T00:00:00Z"},
        {**VALID, "startsAt": "2026-11-27T06:55:00.000001Z"},
        {**VALID, "startsAt": "2026-11-27T07:50:00.000001Z", "endsAt": "2026-11-27T08:00:00Z"},
        {**VALID, "fingerprint": ""},
        {**VALID, "severity": "CRITICAL"},
        {**VALID, "summary": "x" * (Limits().max_annotation_value_length + 1)},
        {**VALID, "labels": {"alertname": "Disk", "host": "\ud800"}},
        [VALID] * (Limits().max_alerts_per_request + 1),
        "alert",
    ],
    ids=[
        "unknown field",
        "both spellings",
        "label name",
        "no alertname",
        "annotation type",
        "end before start",
        "start past the resolve timeout",
        "start past the clock skew",
        "fingerprint",
        "severity",
        "summary length",
        "surrogate",
        "too many",
        "not an alert",
    ],
)
def test_the_fast_path_gives_up_on_every_kind_of_invalid_alert(body: Any) -> None:
    assert valid_drafts(body, CTX) is None
    with pytest.raises(InvalidPayload):
        normalize_canonical(body, CTX)


def test_the_fast_path_reads_an_alertmanager_api_list() -> None:
    body = [VALID, {**VALID, "labels": {"alertname": "Cpu", "empty": ""}, "status": "resolved"}]

    drafts = valid_drafts(body, CTX)

    assert drafts is not None
    assert [dict(d.labels) for d in drafts] == [VALID["labels"], {"alertname": "Cpu"}]
    assert drafts == checked_drafts(body, CTX)
