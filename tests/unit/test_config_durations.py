"""Durations in the config file and the API read as Prometheus reads them: units from the
largest to the smallest, each once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.durations import parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("2d", timedelta(days=2)),
        ("1y2w", timedelta(days=379)),
        ("500ms", timedelta(milliseconds=500)),
        ("1m500ms", timedelta(minutes=1, milliseconds=500)),
        ("0", timedelta(0)),
        (" 5m ", timedelta(minutes=5)),
    ],
)
def test_durations_read_as_prometheus_reads_them(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


# Other scripts' digits (Arabic-Indic one, fullwidth ten) are not Prometheus durations.
@pytest.mark.parametrize(
    "text", ["1m1m", "30m1h", "5", "m", "", "1h 30m", "-5m", "1.5h", "\u0661s", "\uff11\uff10m"]
)
def test_a_unit_repeated_out_of_order_or_missing_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration like 30s, 5m, 1h30m"):
        parse_duration(text)


def test_other_values_are_left_to_the_model() -> None:
    assert parse_duration(90) == 90
