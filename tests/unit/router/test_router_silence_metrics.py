"""`tocsin_silences{state}` counts the config file's and the API's silences by their state at
scrape time, and says nothing while the read model is being rebuilt."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry

from services.router.api.silence_metrics import SilenceCollector
from services.router.domain.silences import Silence
from services.router.projection.silences import SilenceView

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _configured(starts: datetime, ends: datetime) -> Silence:
    return Silence.model_validate(
        {
            "matchers": ['alertname="DiskFull"'],
            "starts_at": starts,
            "ends_at": ends,
            "created_by": "ops",
            "comment": "maintenance",
        }
    )


def _view(starts: datetime, ends: datetime, expired_at: datetime | None = None) -> SilenceView:
    return SilenceView(
        "s", ['job="node"'], starts, ends, "alice", "disk swap", starts, expired_at=expired_at
    )


def _samples(views: Sequence[SilenceView] | None) -> dict[str, float | None]:
    registry = CollectorRegistry()
    configured = [_configured(NOW - HOUR, NOW + HOUR), _configured(NOW + HOUR, NOW + 2 * HOUR)]
    registry.register(SilenceCollector(lambda: configured, lambda: views, lambda: NOW))
    return {
        state: registry.get_sample_value("tocsin_silences", {"state": state})
        for state in ("active", "pending", "expired")
    }


def test_silences_are_counted_by_their_state_now() -> None:
    views = [
        _view(NOW - HOUR, NOW + HOUR),  # active
        _view(NOW - 2 * HOUR, NOW - HOUR),  # ended
        _view(NOW - HOUR, NOW - timedelta(minutes=5), expired_at=NOW - timedelta(minutes=5)),
    ]
    assert _samples(views) == {"active": 2, "pending": 1, "expired": 2}


def test_no_samples_while_the_read_model_is_rebuilt() -> None:
    assert _samples(None) == {"active": None, "pending": None, "expired": None}
