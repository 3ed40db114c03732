"""Open-loop sender: posts the workload's bodies to ingest at their due times, and tallies.

Sends are scheduled at their due times whatever the answers, with two bounds: past
`MAX_IN_FLIGHT` unanswered posts it waits for one to finish (reported as `late_sends`), and
what is still unsent at the deadline is not sent at all (reported as `unsent_alerts`), so an
overloaded Tocsin shows as such instead of stretching the run. Latency is measured from the
due time, so queueing in this client counts (no coordinated omission). As in Alertmanager, the
bodies of one group are posted one after the other (a resend never overtakes the resolve that
follows it). Every alert carries a
unique `soak_seq` annotation, so the audit can find each accepted alert on the log. Posts go
only to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from loadtests.soak.client import NoAnswer, PostClient
from loadtests.soak.workload import Send, SoakAlert

TOKEN = "soak-token"
PATH = "/api/v1/alerts/alertmanager"
MAX_IN_FLIGHT = 2000
CONNECTIONS = 64
ANSWER_TIMEOUT_S = 30.0
_ZERO_TIME = "0001-01-01T00:00:00Z"


@dataclass
class Tally:
    """What was offered and what ingest answered. Times are `time.perf_counter()` values."""

    started: float
    wall_start: datetime
    accepted_alerts: int = 0
    refused_alerts: int = 0  # non-2xx answers
    refused_by_status: Counter[int] = field(default_factory=Counter)
    failed_alerts: int = 0  # no answer (timeout, connection error)
    late_sends: int = 0
    unsent_alerts: int = 0  # due after the deadline: never posted
    answer_ms: list[float] = field(default_factory=list)  # how long ingest took to answer
    accepted_seqs: list[int] = field(default_factory=list)
    group_first_due: dict[str, float] = field(default_factory=dict)  # first accepted firing
    group_first_accepted: dict[str, float] = field(default_factory=dict)  # ... its 2xx answer
    accepted_per_second: Counter[int] = field(default_factory=Counter)
    firing: dict[str, SoakAlert] = field(default_factory=dict)
    _seq: int = 0

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq


class Sender:
    def __init__(self, ingest_url: str, tally: Tally, connections: int = CONNECTIONS) -> None:
        if not ingest_url.startswith("http://127.0.0.1:"):
            raise ValueError("the soak test posts only to 127.0.0.1")
        port = int(ingest_url.rsplit(":", 1)[1])
        self._client = PostClient(port, PATH, {"Authorization": f"Bearer {TOKEN}"}, connections)
        self._tally = tally
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._last_of_group: dict[str, asyncio.Task[None]] = {}

    async def offer(self, sends: Iterable[Send], offset_s: float, deadline_s: float) -> None:
        """Post each body at `started + offset_s + send.at`, none after `started + deadline_s`."""
        tally = self._tally
        for send in sends:
            due = tally.started + offset_s + send.at
            if max(due, time.perf_counter()) > tally.started + deadline_s:
                tally.unsent_alerts += len(send.alerts)
                continue
            if due > time.perf_counter():
                await asyncio.sleep(due - time.perf_counter())
            if self._in_flight.locked():
                tally.late_sends += 1
            await self._in_flight.acquire()
            group = send.alerts[0][0].group
            previous = self._last_of_group.get(group)
            task = asyncio.create_task(self._post(send, due, previous))
            self._last_of_group[group] = task
            self._tasks.add(task)
            task.add_done_callback(functools.partial(self._done, group))

    def _done(self, group: str, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._in_flight.release()
        if self._last_of_group.get(group) is task:
            del self._last_of_group[group]

    def closing_sends(self) -> list[Send]:
        """Resolve every alert Tocsin took as firing last, one body per group, all due now.
        Call after `settle`."""
        by_group: dict[str, list[SoakAlert]] = {}
        for alert in self._tally.firing.values():
            by_group.setdefault(alert.group, []).append(alert)
        return [
            Send(0.0, tuple((alert, False) for alert in members[start : start + 100]))
            for members in by_group.values()
            for start in range(0, len(members), 100)
        ]

    async def settle(self, timeout_s: float = ANSWER_TIMEOUT_S * 2) -> None:
        """Wait for the posts in flight."""
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=timeout_s)

    async def finish(self) -> None:
        await self.settle()
        for task in list(self._tasks):
            task.cancel()
        await self._client.close()

    def _track(self, send: Send) -> None:
        for alert, firing in send.alerts:
            if firing:
                self._tally.firing[alert.key] = alert
            else:
                self._tally.firing.pop(alert.key, None)

    async def _post(self, send: Send, due: float, previous: asyncio.Task[None] | None) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        tally = self._tally
        seqs = [tally.next_seq() for _ in send.alerts]
        body = orjson.dumps(webhook_body(send, seqs, tally.wall_start))
        try:
            status, answer_s = await self._client.post(body, ANSWER_TIMEOUT_S)
        except NoAnswer:
            tally.failed_alerts += len(seqs)
            return
        tally.answer_ms.append(answer_s * 1000)
        if not 200 <= status < 300:
            tally.refused_alerts += len(seqs)
            tally.refused_by_status[status] += len(seqs)
            return
        answered = time.perf_counter()
        tally.accepted_alerts += len(seqs)
        self._track(send)
        tally.accepted_seqs.extend(seqs)
        tally.accepted_per_second[int(answered - tally.started)] += len(seqs)
        if any(firing for _, firing in send.alerts):
            group = send.alerts[0][0].group
            tally.group_first_due[group] = min(tally.group_first_due.get(group, due), due)
            earlier = tally.group_first_accepted.get(group, answered)
            tally.group_first_accepted[group] = min(earlier, answered)


def webhook_body(send: Send, seqs: list[int], wall_start: datetime) -> dict[str, Any]:
    """An Alertmanager (version 4) webhook body for one group's alerts."""
    first = send.alerts[0][0]
    group_labels = {name: first.labels[name] for name in ("alertname", "cluster")}
    alerts = []
    for (alert, firing), seq in zip(send.alerts, seqs, strict=True):
        starts = wall_start + timedelta(seconds=alert.start_s)
        summary = f"{alert.labels['alertname']} on {alert.labels['instance']} [soak:{alert.group}]"
        alerts.append(
            {
                "status": "firing" if firing else "resolved",
                "labels": alert.labels,
                "annotations": {"summary": summary, "soak_seq": str(seq)},
                "startsAt": _rfc3339(starts),
                "endsAt": _ZERO_TIME if firing else _rfc3339(datetime.now(UTC)),
                "generatorURL": "",
            }
        )
    rendered = ",".join(f'{name}="{value}"' for name, value in group_labels.items())
    return {
        "version": "4",
        "status": "firing" if any(firing for _, firing in send.alerts) else "resolved",
        "receiver": "tocsin",
        "groupKey": f"{{}}:{{{rendered}}}",
        "truncatedAlerts": 0,
        "groupLabels": group_labels,
        "commonLabels": {**group_labels, "region": first.labels["region"]},
        "commonAnnotations": {},
        "externalURL": "http://127.0.0.1:9093",
        "alerts": alerts,
    }


def _rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
