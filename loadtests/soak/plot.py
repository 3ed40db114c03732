"""The PNG of a run: throughput, consumer lag and resident memory over time."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from loadtests.soak.report import GROWTH_LIMIT, memory
from loadtests.soak.run import RunResult


def _marks(axes: Axes, result: RunResult) -> None:
    for index, at in enumerate(result.storms_at):
        axes.axvline(at, color="grey", linestyle=":", label="storm" if index == 0 else None)
    axes.axvspan(result.load_s, result.end_s, color="grey", alpha=0.12, label="drain")
    axes.grid(alpha=0.3)


def _throughput(axes: Axes, result: RunResult) -> None:
    accepted = result.tally.accepted_per_second
    seconds = range(int(result.end_s) + 1)
    pages = Counter(int(at) for at in result.pages_at)
    axes.plot(seconds, [accepted.get(s, 0) for s in seconds], label="alerts accepted/s")
    axes.plot(seconds, [pages.get(s, 0) for s in seconds], label="pages received/s")
    axes.set_ylabel("per second")
    _marks(axes, result)
    axes.legend(loc="upper right", fontsize="small")


def _lag(axes: Axes, result: RunResult) -> None:
    for group, values in result.series.lag.items():
        axes.plot(result.series.lag_t, values, label=group)
    axes.set_ylabel("lag (records)")
    _marks(axes, result)
    axes.legend(loc="upper right", fontsize="small")


def _memory(axes: Axes, result: RunResult) -> None:
    series = result.series
    for process, values in series.rss.items():
        points = [(t, mb) for t, mb in zip(series.rss_t, values, strict=True) if mb is not None]
        axes.plot([t for t, _ in points], [mb for _, mb in points], label=f"{process} RSS")
    for m in memory(result):
        limit = m.middle_max_mb * GROWTH_LIMIT
        axes.hlines(limit, 2 * result.load_s / 3, result.load_s, linestyles="--", colors="red")
    for third in (result.load_s / 3, 2 * result.load_s / 3):
        axes.axvline(third, color="black", linewidth=0.5)
    axes.set_ylabel("resident MiB")
    axes.set_xlabel("seconds since the load started (red dashes: bound for the last third)")
    _marks(axes, result)
    axes.legend(loc="upper left", fontsize="small")


def plot(result: RunResult, path: Path) -> None:
    figure, (top, middle, bottom) = plt.subplots(3, 1, figsize=(11, 10), sharex=True)
    top.set_title(f"Tocsin soak on the {result.backend} log")
    _throughput(top, result)
    _lag(middle, result)
    _memory(bottom, result)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
