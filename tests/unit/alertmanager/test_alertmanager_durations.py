"""Prometheus duration strings, as Alertmanager 0.25 accepts them in route intervals."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.correlator.domain.alertmanager import DurationError, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("90m", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
        ("1y", timedelta(days=365)),
        ("500ms", timedelta(milliseconds=500)),
        ("1m500ms", timedelta(minutes=1, milliseconds=500)),
        (
            "1y2w3d4h5m6s7ms",
            timedelta(days=365 + 14 + 3, hours=4, minutes=5, seconds=6, milliseconds=7),
        ),
        ("0", timedelta(0)),
        ("0d", timedelta(0)),
    ],
)
def test_valid_duration_is_parsed_exactly(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty duration string"),
        ("30m1h", "not a valid duration string: '30m1h'"),
        ("1m30", "not a valid duration string: '1m30'"),
        ("10", "not a valid duration string: '10'"),
        ("1.5h", "not a valid duration string: '1.5h'"),
        ("-1s", "not a valid duration string: '-1s'"),
        ("1us", "not a valid duration string: '1us'"),
        (" 1s", "not a valid duration string: ' 1s'"),
        ("300000y", "duration out of range: '300000y'"),
    ],
)
def test_invalid_duration_is_refused_quoting_it(text: str, message: str) -> None:
    with pytest.raises(DurationError) as raised:
        parse_duration(text)

    assert str(raised.value).startswith(message)
