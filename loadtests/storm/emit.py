"""Alert occurrences -> the notifications an upstream Alertmanager would send, as export lines.

Upstream groups by `[alertname, cluster]` (business alerts: `[alertname, region]`), sends an
alert `group_wait` after it starts, then re-sends every firing alert of a group together on
the group's own `resend` grid (a phase per group), and sends an alert's resolve on the first
grid time after it ends, as Alertmanager's `group_interval` does. Notifications due in the same
10 s step and group share one webhook body; bodies get distinct, increasing `received_at`.
"""

from __future__ import annotations

import random
import zlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from loadtests.storm.faults import Occurrence

STEP = timedelta(seconds=10)
_ZERO_TIME = "0001-01-01T00:00:00Z"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_APPEND_NEWLINE

GroupKey = tuple[str, str, str]  # (alertname, cluster, region)


@dataclass(frozen=True)
class EmitShape:
    group_wait: timedelta = timedelta(seconds=30)
    resend: timedelta = timedelta(minutes=5)
    body: str = "alertmanager"  # alertmanager | canonical | mixed


def _step_up(at: datetime) -> datetime:
    """The first 10 s boundary at or after `at`."""
    steps = -((_EPOCH - at) // STEP)
    return _EPOCH + steps * STEP


def _sends(occurrence: Occurrence, shape: EmitShape) -> Iterator[tuple[datetime, bool]]:
    """(time, firing) of every notification about one occurrence."""
    first = _step_up(occurrence.starts_at + shape.group_wait)
    if first < occurrence.ends_at:
        yield first, True
    phase = timedelta(seconds=zlib.crc32(repr(_group(occurrence)).encode()) % 3600)
    since_phase = (first - _EPOCH - phase) // shape.resend + 1
    at = _step_up(_EPOCH + phase + since_phase * shape.resend)
    while at < occurrence.ends_at:
        yield at, True
        at += shape.resend
    yield at, False


def _group(occurrence: Occurrence) -> GroupKey:
    labels = occurrence.labels
    return labels["alertname"], labels.get("cluster", ""), labels["region"]


def schedule(
    occurrences: list[Occurrence], shape: EmitShape
) -> dict[tuple[datetime, GroupKey], list[tuple[Occurrence, bool]]]:
    bodies: dict[tuple[datetime, GroupKey], list[tuple[Occurrence, bool]]] = defaultdict(list)
    for occurrence in occurrences:
        for at, firing in _sends(occurrence, shape):
            bodies[(at, _group(occurrence))].append((occurrence, firing))
    return bodies


def _am_alert(occurrence: Occurrence, firing: bool) -> dict[str, Any]:
    return {
        "status": "firing" if firing else "resolved",
        "labels": occurrence.labels,
        "annotations": {"summary": _summary(occurrence)},
        "startsAt": occurrence.starts_at,
        "endsAt": _ZERO_TIME if firing else occurrence.ends_at,
        "generatorURL": "",
        "fingerprint": occurrence.fingerprint,
    }


def _canonical_alert(occurrence: Occurrence, firing: bool) -> dict[str, Any]:
    alert: dict[str, Any] = {
        "labels": occurrence.labels,
        "annotations": {"summary": _summary(occurrence)},
        "status": "firing" if firing else "resolved",
        "starts_at": occurrence.starts_at,
        "fingerprint": occurrence.fingerprint,
    }
    if not firing:
        alert["ends_at"] = occurrence.ends_at
    return alert


def _summary(occurrence: Occurrence) -> str:
    labels = occurrence.labels
    subject = labels.get("instance") or labels.get("service") or labels.get("metric")
    return f"{labels['alertname']} on {subject}"


def _webhook(group: GroupKey, alerts: list[tuple[Occurrence, bool]]) -> dict[str, Any]:
    alertname, cluster, region = group
    group_labels = (
        {"alertname": alertname, "cluster": cluster}
        if cluster
        else {
            "alertname": alertname,
            "region": region,
        }
    )
    rendered = ", ".join(f'{k}="{v}"' for k, v in group_labels.items())
    return {
        "version": "4",
        "groupKey": f"{{}}:{{{rendered}}}",
        "truncatedAlerts": 0,
        "status": "firing" if any(firing for _, firing in alerts) else "resolved",
        "receiver": "tocsin",
        "groupLabels": group_labels,
        "commonLabels": {**group_labels, "region": region},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.storm:9093",
        "alerts": [_am_alert(o, firing) for o, firing in alerts],
    }


def export_lines(
    occurrences: list[Occurrence], shape: EmitShape, rng: random.Random
) -> Iterator[tuple[bytes, int]]:
    """(export line, alerts in it), in received_at order."""
    bodies = schedule(occurrences, shape)
    rank_in_step: dict[datetime, int] = defaultdict(int)
    for at, group in sorted(bodies):
        alerts = bodies[(at, group)]
        rank = rank_in_step[at]
        rank_in_step[at] += 1
        received_at = at + timedelta(microseconds=100 * rank)
        source = shape.body if shape.body != "mixed" else rng.choice(("alertmanager", "canonical"))
        if source == "alertmanager":
            payload: Any = _webhook(group, alerts)
        else:
            payload = [_canonical_alert(o, firing) for o, firing in alerts]
        line = {"received_at": received_at, "source": source, "payload": payload}
        yield orjson.dumps(line, option=_OPTIONS), len(alerts)
