"""One soak run on one backend: start Tocsin, offer the load, drain, sample, audit, stop."""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from loadtests.soak.audit import LogAudit, PageAudit, audit_log, audit_pages
from loadtests.soak.loadgen import CONNECTIONS, Sender, Tally
from loadtests.soak.receiver import PageReceiver, PageSeen
from loadtests.soak.sampling import Sampler, Series
from loadtests.soak.stack import PARTITIONS, RESOLVE_GRACE_S, Stack, running
from loadtests.soak.workload import Shape, Workload

DRAIN_MAX_S = 120.0


def offer_deadline_s(load_s: float) -> float:
    """Nothing is posted later than this after the start (the load may run late)."""
    return load_s * 1.25 + 30


@dataclass
class RunResult:
    backend: str
    load_s: float
    end_s: float
    storms_at: list[float]
    tally: Tally
    series: Series
    pages_at: list[float]
    received: list[PageSeen]
    log: LogAudit
    pages: PageAudit
    exited_early: list[str]


async def _drain(receiver: PageReceiver, tally: Tally, sampler: Sampler, stack: Stack) -> None:
    """Wait until every opened group paged, then for incidents to close (resolve grace), then
    for a lag sample of 0 in every group taken after that."""
    deadline = time.perf_counter() + DRAIN_MAX_S
    paged_since: float | None = None
    while time.perf_counter() < deadline and not stack.exited():
        now = time.perf_counter()
        paged = {page.group for page in receiver.pages}
        if not all(group in paged for group in tally.group_first_due):
            paged_since = None
        elif paged_since is None:
            paged_since = now
        last = sampler.series.last_lag()
        if paged_since is not None and last is not None:
            closed_at = paged_since + RESOLVE_GRACE_S + 2 - tally.started
            when, lags = last
            if when >= closed_at and not any(lags.values()):
                return
        await asyncio.sleep(0.5)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def run_backend(
    backend: str, shape: Shape, load_s: float, out: Path, connections: int = CONNECTIONS
) -> RunResult:
    receiver = PageReceiver()
    await receiver.start()
    work = Path(tempfile.mkdtemp(prefix=f"tocsin-soak-{backend}-"))
    try:
        _progress(f"[{backend}] starting Tocsin in {work}")
        async with running(backend, work, receiver.url) as stack:
            return await _soak(stack, receiver, shape, load_s, connections)
    finally:
        await receiver.stop()
        _keep_logs(work, out, backend)


def _keep_logs(work: Path, out: Path, backend: str) -> None:
    """Copy the services' logs to `out`, then remove the scratch folder (and its log data)."""
    for log in work.glob("*.log"):
        shutil.copy(log, out / f"{backend}-{log.name}")
    shutil.rmtree(work, ignore_errors=True)


async def _soak(
    stack: Stack, receiver: PageReceiver, shape: Shape, load_s: float, connections: int
) -> RunResult:
    backend, workload = stack.backend, Workload(shape)
    tally = Tally(started=time.perf_counter(), wall_start=datetime.now(UTC))
    sender = Sender(stack.ingest_url, tally, connections)
    probe = stack.lag_probe()
    deadline = offer_deadline_s(load_s)
    sampler = Sampler(stack.pids, probe, tally.started, deadline + 30 + DRAIN_MAX_S + 60)
    sampling = asyncio.create_task(sampler.run())
    try:
        _progress(f"[{backend}] offering load for {load_s:.0f} s")
        await sender.offer(workload.sends(load_s), 0.0, deadline)
        load_end = time.perf_counter() - tally.started
        _progress(f"[{backend}] resolving what still fires, draining")
        await sender.settle()
        await sender.offer(sender.closing_sends(), load_end, deadline + 30)
        await sender.finish()
        await _drain(receiver, tally, sampler, stack)
    finally:
        sampler.stop()
        await sampling
        await probe.close()
    end_s = time.perf_counter() - tally.started
    exited = stack.exited()
    stack.stop()
    _progress(f"[{backend}] auditing the log")
    log_audit = await audit_log(stack.event_log(), tally.accepted_seqs, PARTITIONS)
    return RunResult(
        backend=backend,
        load_s=load_end,
        end_s=end_s,
        storms_at=workload.storm_starts(load_s),
        tally=tally,
        series=sampler.series,
        pages_at=[page.arrived - tally.started for page in receiver.pages],
        received=receiver.pages,
        log=log_audit,
        pages=audit_pages(
            receiver.pages,
            tally.group_first_due,
            tally.group_first_accepted,
            tally.started + shape.repeat_s,
        ),
        exited_early=exited,
    )
