"""`tocsin export --since/--until`: an ISO-8601 time (naive as UTC, as `--at` elsewhere) or a
duration ago; anything else is refused with what both forms look like."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.cli.commands_replay import window_bound
from services.cli.replay_input import ReplayInputError

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "bound"),
    [
        (None, None),
        ("2h", NOW - timedelta(hours=2)),
        ("90m", NOW - timedelta(minutes=90)),
        ("2026-11-27T06:00:00Z", datetime(2026, 11, 27, 6, tzinfo=UTC)),
        ("2026-11-27T08:00:00+02:00", datetime(2026, 11, 27, 6, tzinfo=UTC)),
        ("2026-11-27T06:00:00", datetime(2026, 11, 27, 6, tzinfo=UTC)),  # naive: UTC
    ],
)
def test_a_bound_is_a_time_or_a_duration_ago(text: str | None, bound: datetime | None) -> None:
    assert window_bound(text, NOW) == bound


@pytest.mark.parametrize("text", ["garbage", "yesterday", "2026-13-40"])
def test_anything_else_is_refused_naming_both_forms(text: str) -> None:
    with pytest.raises(ReplayInputError) as refused:
        window_bound(text, NOW)

    assert f"{text!r} is neither an ISO-8601 time" in str(refused.value)
    assert "duration ago such as 2h" in str(refused.value)
