"""After a run: were accepted alerts all on the log, were pages sent once, how fast were they.

Lost alert: accepted (2xx) by ingest, yet no `AlertReceived` on `tocsin.alerts` carries its
`soak_seq`. Duplicate page: a notification id received more than once, or one incident paged
under more than one notification id for the same (escalation step, repeat, target).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from loadtests.soak.receiver import PageSeen
from shared.events import AlertReceived, decode_envelope, unwrap
from shared.log.port import EventLog
from shared.topics import ALERTS

_EMPTY_READS_MAX = 5


@dataclass(frozen=True)
class LogAudit:
    on_log: int  # AlertReceived records carrying a soak_seq
    lost: int
    repeated: int  # a soak_seq found more than once (informative: at-least-once appends)


@dataclass(frozen=True)
class PageAudit:
    pages: int
    duplicate_ids: int
    duplicate_steps: int
    groups_opened: int
    groups_paged: int
    incidents_paged: int
    groups_split: int  # groups paged under more than one incident id
    untagged: int  # pages whose alerts carry no [soak:GROUP] tag
    p50_ms: float  # groups first sent after the warm-up
    p99_ms: float
    warmup_p50_ms: float  # groups first sent during the warm-up (the population arriving)
    warmup_p99_ms: float
    from_2xx_p50_ms: float  # after the warm-up, from ingest's 2xx instead of the due time
    from_2xx_p99_ms: float


async def audit_log(log: EventLog, accepted: list[int], partitions: int) -> LogAudit:
    await log.start()
    try:
        await log.ensure_topics({ALERTS: partitions})
        seen: Counter[int] = Counter()
        for partition in range(log.partition_count(ALERTS)):
            await _read_partition(log, partition, seen)
    finally:
        await log.close()
    lost = sum(1 for seq in accepted if seq not in seen)
    repeated = sum(count - 1 for count in seen.values() if count > 1)
    return LogAudit(sum(seen.values()), lost, repeated)


async def _read_partition(log: EventLog, partition: int, seen: Counter[int]) -> None:
    end = await log.end_offset(ALERTS, partition)
    offset, empty_reads = 0, 0
    while offset < end and empty_reads < _EMPTY_READS_MAX:
        records = await log.read(ALERTS, partition, offset, end)
        if not records:
            empty_reads += 1
            continue
        for record in records:
            event = unwrap(decode_envelope(record.value))
            if isinstance(event, AlertReceived):
                seq = event.alert.annotations.get("soak_seq")
                if seq is not None:
                    seen[int(seq)] += 1
        offset = records[-1].offset + 1
    if offset < end:
        raise RuntimeError(f"{ALERTS}[{partition}] unreadable from offset {offset} to {end}")


def audit_pages(
    pages: list[PageSeen],
    first_due: dict[str, float],
    first_accepted: dict[str, float],
    warmup_until: float,
) -> PageAudit:
    """Per group: `first_due`, when its first accepted firing alert was due; `first_accepted`,
    when ingest answered 2xx for it. Those and `warmup_until` are `time.perf_counter()` values."""
    ids = Counter(page.notification_id for page in pages)
    per_step: defaultdict[tuple[str, int, int, str], set[str]] = defaultdict(set)
    first_page: dict[str, float] = {}
    incidents: defaultdict[str, set[str]] = defaultdict(set)
    for page in pages:
        per_step[(page.incident_id, page.step, page.repeat, page.target)].add(page.notification_id)
        if page.group is not None:
            incidents[page.group].add(page.incident_id)
            first_page[page.group] = min(first_page.get(page.group, page.arrived), page.arrived)
    warm = {group for group, due in first_due.items() if due < warmup_until}
    after = _latencies(first_page, first_due, lambda group: group not in warm)
    warmup = _latencies(first_page, first_due, lambda group: group in warm)
    from_2xx = _latencies(first_page, first_accepted, lambda group: group not in warm)
    return PageAudit(
        pages=len(pages),
        duplicate_ids=sum(count - 1 for count in ids.values()),
        duplicate_steps=sum(1 for notified in per_step.values() if len(notified) > 1),
        groups_opened=len(first_due),
        groups_paged=sum(1 for group in first_due if group in first_page),
        incidents_paged=len({page.incident_id for page in pages}),
        groups_split=sum(1 for ids in incidents.values() if len(ids) > 1),
        untagged=sum(1 for page in pages if page.group is None),
        p50_ms=_percentile(after, 0.5),
        p99_ms=_percentile(after, 0.99),
        warmup_p50_ms=_percentile(warmup, 0.5),
        warmup_p99_ms=_percentile(warmup, 0.99),
        from_2xx_p50_ms=_percentile(from_2xx, 0.5),
        from_2xx_p99_ms=_percentile(from_2xx, 0.99),
    )


def _latencies(
    first_page: dict[str, float], starts: dict[str, float], include: Callable[[str], bool]
) -> list[float]:
    """Sorted milliseconds from each included group's start to its first page."""
    return sorted(
        (first_page[group] - start) * 1000
        for group, start in starts.items()
        if group in first_page and include(group)
    )


def _percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]
