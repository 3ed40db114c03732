"""The offered load: a steady population of alerts re-sent and resolved, plus periodic storms.

Pure and seeded: `Workload.sends(seconds)` yields every webhook body to post, in time order,
with its time in seconds from the start of the load.

Steady population: `rate * repeat_s` alert slots, visited round-robin at `rate` visits per
second, so each firing alert is re-sent every `repeat_s` (Alertmanager's repeat notifications,
compressed). A slot's alert fires for a random number of visits, is then sent resolved, and the
slot takes a new alert at its next visit. Each steady alert has its own `alertname`, so it opens
one incident of its own: those are the incidents whose alert-to-page latency is measured.

Storms: every `storm_every_s` (the first half a period in), `storm_size` new alerts of one
cluster arrive within `storm_ramp_s`, spread over `storm_groups` alertnames, so they group
(`group_by: [alertname, cluster]`) into `storm_groups` incidents. They are re-sent every
`repeat_s` and resolved `storm_life_s` after the storm began, so the incidents close.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

STORM_ALERTNAMES = ("StormNodeDown", "StormServiceUnavailable", "StormLatencyHigh")
_STORM_BODY_MAX = 100  # alerts per body when a storm group is re-sent or resolved
_STORM_RAMP_BODY = 10  # alerts per body while a storm arrives


@dataclass(frozen=True)
class Shape:
    rate: float = 200.0  # steady alert notifications per second
    repeat_s: float = 10.0  # a firing alert is re-sent this often
    life_visits: tuple[int, int] = (2, 8)  # firing sends of a steady alert before it resolves
    storm_every_s: float = 60.0
    storm_size: int = 400
    storm_groups: int = 3
    storm_ramp_s: float = 2.0
    storm_life_s: float = 30.0
    regions: int = 8


@dataclass(frozen=True)
class SoakAlert:
    """One alert. `group` names the incident it should open or join; `key` the alert itself."""

    key: str
    group: str
    labels: dict[str, str]
    start_s: float  # seconds from the start of the load when it began firing


@dataclass(frozen=True)
class Send:
    """One webhook body: (alert, firing) pairs, all of one group, due at `at` seconds."""

    at: float
    alerts: tuple[tuple[SoakAlert, bool], ...]


@dataclass
class _Slot:
    alert: SoakAlert
    visits_left: int


@dataclass
class Workload:
    shape: Shape
    rng: random.Random = field(default_factory=lambda: random.Random(20261127))
    _made: int = 0

    def sends(self, seconds: float) -> Iterator[Send]:
        """Every body of a load lasting `seconds`, in time order."""
        storms = sorted(
            (send for send in self._storms(seconds) if send.at < seconds), key=lambda s: s.at
        )
        yield from heapq.merge(self._steady(seconds), storms, key=lambda send: send.at)

    def _steady(self, seconds: float) -> Iterator[Send]:
        shape = self.shape
        population = max(1, round(shape.rate * shape.repeat_s))
        slots = [
            _Slot(self._steady_alert(index / shape.rate), self.rng.randint(1, shape.life_visits[1]))
            for index in range(population)
        ]
        for visit in range(int(shape.rate * seconds)):
            at = visit / shape.rate
            slot = slots[visit % population]
            if slot.visits_left > 0:
                slot.visits_left -= 1
                yield Send(at, ((slot.alert, True),))
            else:
                yield Send(at, ((slot.alert, False),))
                next_visit = at + population / shape.rate
                slot.alert = self._steady_alert(next_visit)
                slot.visits_left = self.rng.randint(*shape.life_visits)

    def _steady_alert(self, start_s: float) -> SoakAlert:
        self._made += 1
        number, regions = self._made, self.shape.regions
        alertname = f"SoakCheck{number:07d}"
        cluster = f"c{number % 16:02d}"
        labels = {
            "alertname": alertname,
            "cluster": cluster,
            "region": f"r{number % regions}",
            "instance": f"host-{number % 500:03d}",
            "severity": "critical",
        }
        return SoakAlert(alertname, f"{alertname}/{cluster}", labels, start_s)

    def storm_starts(self, seconds: float) -> list[float]:
        """When the storms of a load lasting `seconds` begin."""
        every = self.shape.storm_every_s
        if self.shape.storm_size <= 0 or every <= 0:
            return []
        count = max(0, math.ceil((seconds - every / 2) / every))
        return [every / 2 + number * every for number in range(count)]

    def _storms(self, seconds: float) -> Iterator[Send]:
        for number, begin in enumerate(self.storm_starts(seconds)):
            yield from self._storm(number, begin)

    def _storm(self, number: int, begin: float) -> Iterator[Send]:
        shape = self.shape
        cluster, region = f"storm-{number:03d}", f"r{number % shape.regions}"
        groups: dict[str, list[SoakAlert]] = {name: [] for name in self._storm_names()}
        for index in range(shape.storm_size):
            alertname = STORM_ALERTNAMES[index % len(groups)]
            start_s = begin + shape.storm_ramp_s * index / shape.storm_size
            labels = {
                "alertname": alertname,
                "cluster": cluster,
                "region": region,
                "instance": f"{cluster}-node-{index:04d}",
                "severity": "critical",
            }
            key = f"{alertname}/{labels['instance']}"
            groups[alertname].append(SoakAlert(key, f"{alertname}/{cluster}", labels, start_s))
        for members in groups.values():
            for chunk in _chunks(members, _STORM_RAMP_BODY):
                yield Send(chunk[-1].start_s, tuple((alert, True) for alert in chunk))
            repeat = begin + shape.repeat_s
            while repeat < begin + shape.storm_life_s:
                for chunk in _chunks(members, _STORM_BODY_MAX):
                    yield Send(repeat, tuple((alert, True) for alert in chunk))
                repeat += shape.repeat_s
            for chunk in _chunks(members, _STORM_BODY_MAX):
                yield Send(begin + shape.storm_life_s, tuple((alert, False) for alert in chunk))

    def _storm_names(self) -> tuple[str, ...]:
        count = max(1, min(self.shape.storm_groups, len(STORM_ALERTNAMES)))
        return STORM_ALERTNAMES[:count]


def _chunks(items: list[SoakAlert], size: int) -> Iterator[list[SoakAlert]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
