"""Shared validation: timestamps, field paths, the error cap, labels and limits, the context."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.ingest.normalizers.context import NormalizeContext
from services.ingest.normalizers.errors import (
    FieldError,
    InvalidPayload,
    Problems,
    field_path,
    parse_timestamp,
)
from services.ingest.normalizers.limits import Limits, read_annotations, read_labels

RECEIVED_AT = datetime(2026, 11, 27, 6, 50, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-27T06:49:15.086990123Z", datetime(2026, 11, 27, 6, 49, 15, 86990, tzinfo=UTC)),
        ("2026-11-27T06:49:15Z", datetime(2026, 11, 27, 6, 49, 15, tzinfo=UTC)),
        ("2026-11-27t06:49:15.5z", datetime(2026, 11, 27, 6, 49, 15, 500000, tzinfo=UTC)),
        ("2021-10-12T09:51:03.157076+02:00", datetime(2021, 10, 12, 7, 51, 3, 157076, tzinfo=UTC)),
        ("2015-07-17T08:42:58.315+0000", datetime(2015, 7, 17, 8, 42, 58, 315000, tzinfo=UTC)),
        ("2015-07-17 08:42:58-05:30", datetime(2015, 7, 17, 14, 12, 58, tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),
    ],
)
def test_rfc3339_timestamps_parse_to_utc_truncating_beyond_microseconds(
    raw: str, expected: datetime
) -> None:
    parsed = parse_timestamp(raw)

    assert parsed == expected
    assert parsed is not None and parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "raw",
    [
        "2026-11-27T06:49:15",  # no time zone
        "2026-11-27",
        "20261127T064915Z",
        "2026-13-01T00:00:00Z",
        "2026-11-27T24:00:00Z",
        "2026-11-27T06:49:15+24:00",
        "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
        "2026-11-27T06:49:15.Z",
        "٢٠٢٦-11-27T06:49:15Z",  # non-ASCII digits
        "",
    ],
)
def test_malformed_or_zoneless_timestamps_are_rejected(raw: str) -> None:
    assert parse_timestamp(raw) is None


def test_field_paths_use_dots_for_identifiers_and_brackets_otherwise() -> None:
    assert field_path("$", "alerts") == "alerts"
    assert field_path("alerts", 3) == "alerts[3]"
    assert field_path("alerts[3].labels", "severity") == "alerts[3].labels.severity"
    assert field_path("labels", "bad-name") == 'labels["bad-name"]'
    assert field_path("labels", 'a"b') == 'labels["a\\"b"]'
    assert field_path("labels", "x" * 70) == 'labels["' + "x" * 64 + '..."]'


def test_problems_keep_the_first_fifty_errors_and_count_the_rest() -> None:
    problems = Problems()
    for index in range(60):
        problems.add(f"f{index}", "is wrong")

    with pytest.raises(InvalidPayload) as caught:
        problems.raise_if_any()

    assert len(caught.value.errors) == 50
    assert caught.value.errors[-1] == FieldError("f49", "is wrong")
    assert caught.value.omitted == 10


def test_labels_must_have_valid_names_and_string_values() -> None:
    problems = Problems()

    labels = read_labels(
        {"ok": "1", "n": 5, "o": {}, "bad-name": "x", "9x": "y", "empty": ""},
        "labels",
        Limits(),
        problems,
    )

    assert labels == {"ok": "1"}
    assert list(problems) == [
        FieldError("labels.n", "must be a string"),
        FieldError("labels.o", "must be a string"),
        FieldError('labels["bad-name"]', "is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)"),
        FieldError('labels["9x"]', "is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)"),
    ]


def test_label_limits_name_the_offending_field() -> None:
    limits = Limits(max_labels_per_alert=2, max_label_name_length=4, max_label_value_length=3)
    problems = Problems()

    read_labels({"a": "1", "b": "2", "c": "3", "long_": "x", "d": "four"}, "l", limits, problems)

    assert list(problems) == [
        FieldError("l.long_", "label name must be at most 4 characters"),
        FieldError("l.d", "must be at most 3 characters"),
        FieldError("l", "must have at most 2 labels"),
    ]


def test_annotation_limits_name_the_offending_field() -> None:
    limits = Limits(max_annotation_value_length=5, max_annotations_per_alert=1)
    problems = Problems()

    read_annotations({"a": "12345", "b": "123456", "c": 1, "d": ""}, "ann", limits, problems)

    assert list(problems) == [
        FieldError("ann.b", "must be at most 5 characters"),
        FieldError("ann.c", "must be a string"),
        FieldError("ann", "must have at most 1 annotations"),
    ]


def test_context_requires_an_aware_received_at_and_stores_it_in_utc() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        NormalizeContext("i", "alertmanager", datetime(2026, 1, 1))

    plus_two = timezone(timedelta(hours=2))
    ctx = NormalizeContext("i", "alertmanager", datetime(2026, 1, 1, 2, tzinfo=plus_two))

    assert ctx.received_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert ctx.received_at.tzinfo is UTC


@pytest.mark.parametrize("labels", [{"bad-name": "x"}, {"env": ""}])
def test_context_rejects_invalid_default_labels(labels: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="invalid default label"):
        NormalizeContext("i", "alertmanager", RECEIVED_AT, default_labels=labels)


def test_context_default_labels_cannot_be_changed_afterwards() -> None:
    source = {"env": "prod"}
    ctx = NormalizeContext("i", "alertmanager", RECEIVED_AT, default_labels=source)
    source["env"] = "dev"

    assert ctx.default_labels == {"env": "prod"}


def test_unpaired_surrogates_anywhere_in_a_body_are_reported_in_document_order() -> None:
    problems = Problems()

    problems.check_text({"a": ["ok", "x\ud800"], "b\udc00": "y", "c": {"d": "\udfff"}})

    assert list(problems) == [
        FieldError("a[1]", "must not contain unpaired surrogates"),
        FieldError('["b\\udc00"]', "name must not contain unpaired surrogates"),
        FieldError("c.d", "must not contain unpaired surrogates"),
    ]
