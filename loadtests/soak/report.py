"""The verdicts of a run and the table printed on stdout (one column per backend)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from loadtests.soak.loadgen import Tally
from loadtests.soak.run import RunResult

GROWTH_LIMIT = 1.20  # the last third's max RSS may exceed the middle third's by at most 20 %


@dataclass(frozen=True)
class Memory:
    process: str
    start_mb: float  # first sample
    middle_max_mb: float
    last_max_mb: float

    @property
    def bounded(self) -> bool:
        return self.last_max_mb <= self.middle_max_mb * GROWTH_LIMIT


def memory(result: RunResult) -> list[Memory]:
    """Per process: max RSS in the middle and in the last third of the load phase."""
    third = result.load_s / 3
    found: list[Memory] = []
    for process, values in result.series.rss.items():
        samples = [
            (t, mb)
            for t, mb in zip(result.series.rss_t, values, strict=True)
            if mb is not None and t <= result.load_s
        ]
        middle = [mb for t, mb in samples if third <= t < 2 * third]
        last = [mb for t, mb in samples if t >= 2 * third]
        if samples and middle and last:
            found.append(Memory(process, samples[0][1], max(middle), max(last)))
    return found


def cpu_percent(result: RunResult) -> dict[str, float]:
    """Per process (and the harness): CPU used during the load, in % of one core."""
    series, found = result.series, {}
    for process, values in series.cpu.items():
        samples = [
            (t, s)
            for t, s in zip(series.rss_t, values, strict=True)
            if s is not None and t <= result.load_s
        ]
        if len(samples) > 1 and samples[-1][0] > samples[0][0]:
            (t0, s0), (t1, s1) = samples[0], samples[-1]
            found[process] = 100 * (s1 - s0) / (t1 - t0)
    return found


def max_lag(result: RunResult, group: str) -> int:
    return max(result.series.lag[group], default=0)


def final_lag(result: RunResult) -> int:
    last = result.series.last_lag()
    return -1 if last is None else sum(last[1].values())


def failures(result: RunResult) -> list[str]:
    """What makes the run fail; empty when it held."""
    problems = []
    if result.exited_early:
        problems.append(f"processes exited during the run: {', '.join(result.exited_early)}")
    if result.tally.accepted_alerts == 0:
        problems.append("no alert was accepted")
    tally = result.tally
    if tally.refused_alerts or tally.failed_alerts or tally.unsent_alerts:
        problems.append(
            f"the rate was not held: {tally.refused_alerts} alerts refused,"
            f" {tally.failed_alerts} unanswered, {tally.unsent_alerts} never sent"
        )
    if result.log.lost:
        problems.append(f"{result.log.lost} accepted alerts are not on the log")
    if result.pages.duplicate_ids or result.pages.duplicate_steps:
        problems.append("duplicate pages")
    if result.pages.groups_paged < result.pages.groups_opened:
        problems.append("some opened incidents were never paged")
    if result.pages.groups_split:
        problems.append(f"{result.pages.groups_split} alert groups opened more than one incident")
    if final_lag(result) != 0:
        problems.append("consumer lag did not return to 0")
    grown = [m.process for m in memory(result) if not m.bounded]
    if grown:
        problems.append(f"memory grew in the last third: {', '.join(grown)}")
    return problems


def _ms(p50: float, p99: float) -> str:
    return " / ".join("-" if math.isnan(value) else f"{value:.0f}" for value in (p50, p99))


def _refused(tally: Tally) -> str:
    statuses = sorted(tally.refused_by_status.items())
    by_status = ", ".join(f"HTTP {code}: {n}" for code, n in statuses)
    return f"{tally.refused_alerts} ({by_status})" if by_status else "0"


def _percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    if not ordered:
        return "-"
    p50, p99 = ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, len(ordered) * 99 // 100)]
    return f"{p50:.0f} / {p99:.0f}"


def _rows(result: RunResult) -> list[tuple[str, str]]:
    tally, log, pages = result.tally, result.log, result.pages
    rows = [
        ("load / total seconds", f"{result.load_s:.0f} / {result.end_s:.0f}"),
        ("accepted alerts (2xx)", str(tally.accepted_alerts)),
        ("accepted per load second", f"{tally.accepted_alerts / result.load_s:.0f}"),
        ("refused (non-2xx) / no answer", f"{_refused(tally)} / {tally.failed_alerts}"),
        ("unsent (due after deadline)", str(tally.unsent_alerts)),
        ("sends held by in-flight cap", str(tally.late_sends)),
        ("ingest answer p50 / p99 ms", _percentiles(tally.answer_ms)),
        ("lost alerts (must be 0)", str(log.lost)),
        ("alerts on log twice (info)", str(log.repeated)),
        ("pages received", str(pages.pages)),
        ("dup notification ids (must be 0)", str(pages.duplicate_ids)),
        ("dup pages per step (must be 0)", str(pages.duplicate_steps)),
        ("groups paged / opened", f"{pages.groups_paged} / {pages.groups_opened}"),
        ("incidents paged", str(pages.incidents_paged)),
        ("groups split over incidents", str(pages.groups_split)),
        ("alert-to-page p50 / p99 ms", _ms(pages.p50_ms, pages.p99_ms)),
        ("  the same, first 10 s (warm-up)", _ms(pages.warmup_p50_ms, pages.warmup_p99_ms)),
        ("  the same, from ingest's 2xx", _ms(pages.from_2xx_p50_ms, pages.from_2xx_p99_ms)),
    ]
    for group in result.series.lag:
        rows.append((f"max lag {group.removeprefix('tocsin-')}", str(max_lag(result, group))))
    rows.append(("final lag, all groups", str(final_lag(result))))
    for m in memory(result):
        verdict = "bounded" if m.bounded else "GREW"
        rows.append(
            (
                f"RSS MB {m.process} start/mid/last",
                f"{m.start_mb:.0f}/{m.middle_max_mb:.0f}/{m.last_max_mb:.0f} {verdict}",
            )
        )
    for process, percent in cpu_percent(result).items():
        rows.append((f"CPU % of a core, {process}", f"{percent:.0f}"))
    rows.append(("verdict", "PASS" if not failures(result) else "FAIL"))
    return rows


def table(results: list[RunResult]) -> str:
    """Rows are metrics, columns backends; rows one backend lacks (its processes) show '-'."""
    columns = [dict(_rows(result)) for result in results]
    names: list[str] = []
    for result in results:
        for name, _ in _rows(result):
            if name not in names:
                names.append(name)
    last = ("RSS", "CPU", "verdict")  # per-process rows after the shared ones, then verdict
    names.sort(key=lambda name: next((i for i, p in enumerate(last) if name.startswith(p)), -1))
    width = max(len(name) for name in names) + 2
    cells = [max(22, *(len(c.get(n, "")) + 2 for n in names)) for c in columns]
    header = "metric".ljust(width) + "".join(
        r.backend.rjust(w) for r, w in zip(results, cells, strict=True)
    )
    lines = [header, "-" * len(header)]
    for name in names:
        line = name.ljust(width)
        line += "".join(c.get(name, "-").rjust(w) for c, w in zip(columns, cells, strict=True))
        lines.append(line)
    for result in results:
        for problem in failures(result):
            lines.append(f"{result.backend}: {problem}")
    return "\n".join(lines)
