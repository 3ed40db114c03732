"""`tocsin_silences{state}`: silences by state at scrape time, as Alertmanager's
`alertmanager_silences`, over the config file's silences and the API's (from the read model)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from services.router.domain.silences import Silence, SilenceState, silence_state
from services.router.projection.silences import SilenceView, view_state

STATES: tuple[SilenceState, ...] = ("active", "pending", "expired")


class SilenceCollector(Collector):
    def __init__(
        self,
        configured: Callable[[], Sequence[Silence]],
        api_silences: Callable[[], Sequence[SilenceView] | None],
        clock: Callable[[], datetime],
    ) -> None:
        """`configured`: the active config file's silences; `api_silences`: the read model's,
        or None while it is being rebuilt (the gauge then has no samples rather than a count
        missing the API's silences)."""
        self._configured = configured
        self._api_silences = api_silences
        self._clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "tocsin_silences",
            "Silences by state, from the config file and the API",
            labels=["state"],
        )
        views = self._api_silences()
        if views is not None:
            now = self._clock()
            counts = Counter(silence_state(silence, now) for silence in self._configured())
            counts.update(view_state(view, now) for view in views)
            for state in STATES:
                gauge.add_metric([state], counts[state])
        yield gauge
