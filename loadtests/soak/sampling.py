"""Sampling while Tocsin runs: resident memory every second, consumer lag as often as the
backend answers (each in its own loop, so a slow lag query never delays a memory sample)."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field

from loadtests.soak.probes import GROUPS, LagProbe, cpu_s, rss_mb, sample_lag

RSS_EVERY_S = 1.0
LAG_EVERY_S = 2.0


@dataclass
class Series:
    """Samples over time, in seconds from the start of the load."""

    rss_t: list[float] = field(default_factory=list)
    rss: dict[str, list[float | None]] = field(default_factory=dict)
    cpu: dict[str, list[float | None]] = field(default_factory=dict)  # and "harness": ours
    lag_t: list[float] = field(default_factory=list)
    lag: dict[str, list[int]] = field(default_factory=lambda: {g: [] for g in GROUPS})

    def last_lag(self) -> tuple[float, dict[str, int]] | None:
        """(when, lag per group) of the latest lag sample."""
        if not self.lag_t:
            return None
        return self.lag_t[-1], {group: values[-1] for group, values in self.lag.items()}


class Sampler:
    def __init__(self, pids: dict[str, int], probe: LagProbe, started: float, max_s: float) -> None:
        self.series = Series(rss={name: [] for name in pids})
        self.series.cpu = {name: [] for name in [*pids, "harness"]}
        self._pids = pids
        self._cpu_pids = {**pids, "harness": os.getpid()}
        self._probe = probe
        self._started = started
        self._max_s = max_s
        self._stop = asyncio.Event()

    async def run(self) -> None:
        """Sample until `stop` is called, or for at most `max_s`."""
        await asyncio.gather(self._memory(), self._lag())

    def stop(self) -> None:
        self._stop.set()

    async def _memory(self) -> None:
        for _ in range(int(self._max_s / RSS_EVERY_S) + 1):
            self.series.rss_t.append(time.perf_counter() - self._started)
            for name, pid in self._pids.items():
                self.series.rss[name].append(rss_mb(pid))
            for name, pid in self._cpu_pids.items():
                self.series.cpu[name].append(cpu_s(pid))
            if await self._stopped_within(RSS_EVERY_S):
                return

    async def _lag(self) -> None:
        for _ in range(int(self._max_s / LAG_EVERY_S) + 1):
            asked = time.perf_counter() - self._started
            lags = await sample_lag(self._probe)
            if lags is not None:
                self.series.lag_t.append(asked)
                for group in GROUPS:
                    self.series.lag[group].append(lags.get(group, 0))
            if await self._stopped_within(LAG_EVERY_S):
                return

    async def _stopped_within(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._stop.wait(), seconds)
        except TimeoutError:
            return False
        return True
