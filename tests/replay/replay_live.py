"""Driving a live `tocsin up` for the replay tests: a fixed alert stream posted over HTTP, and
the incidents read back from its embedded log (DIR/tocsin.sqlite)."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from services.cli.main import main
from tests.support.brokers import free_port
from tests.support.processes import stop

TOKEN = "replay-test-token"
CONFIG = f"""
integrations:
  - {{name: prom, type: alertmanager, token: {TOKEN}}}
correlation:
  domain_labels: [region]
  resolve_grace: 1s
route:
  receiver: console
  group_by: [alertname, cluster]
  group_wait: 0s
channels:
  console: {{type: console}}
"""
# Longer than resolve_grace plus the runner's tick interval and a poll: incidents whose alerts
# all resolved before the pause are resolved (by a tick) before anything after it arrives.
PAUSE_S = 3.5


def _alert(name: str, cluster: str, subject: str, region: str, resolved: bool) -> dict[str, Any]:
    return {
        "status": "resolved" if resolved else "firing",
        "labels": {"alertname": name, "cluster": cluster, "instance": subject, "region": region},
        "annotations": {"summary": f"{name} on {subject}"},
        "startsAt": "2026-11-27T06:00:00Z"
        if not subject.endswith("-b")
        else "2026-11-27T07:00:00Z",
        "endsAt": "2026-11-27T06:30:00Z" if resolved else "0001-01-01T00:00:00Z",
    }


def _body(*alerts: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "4",
        "status": "firing",
        "receiver": "tocsin",
        "groupKey": "{}:{}",
        "alerts": list(alerts),
    }


def alert_stream() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Two phases of webhook bodies: repeats, groups across two domains, resolves; after the
    first phase every HighLatency alert is resolved, and in the second they fire again."""
    first: list[dict[str, Any]] = []
    for round_ in range(2):
        for i in range(6):
            cluster, region = f"c{i % 2 + 1}", ("eu-west", "us-east")[i % 3 == 2]
            first.append(_body(_alert("NodeDown", cluster, f"n{i}", region, False)))
            first.append(
                _body(
                    _alert("HighErrorRate", cluster, f"svc{i % 4}", region, False),
                    _alert("HighLatency", cluster, f"svc{(i + round_) % 5}", region, False),
                )
            )
    for cluster in ("c1", "c2"):
        for region in ("eu-west", "us-east"):
            resolves = [_alert("HighLatency", cluster, f"svc{i}", region, True) for i in range(5)]
            first.append(_body(*resolves))
    second = [
        _body(_alert("HighLatency", f"c{i % 2 + 1}", f"svc{i}-b", "eu-west", False))
        for i in range(4)
    ]
    second += [_body(_alert("NodeDown", "c1", f"n{i}", "eu-west", i % 2 == 0)) for i in range(4)]
    second += [_body(_alert("DiskFull", "c3", "n9", "eu-west", False))] * 3
    return first, second


@contextlib.contextmanager
def tocsin_up(
    data: Path, config: Path, log: Path, snapshot_every: int | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`tocsin up --data DATA` as a subprocess; yields it and its base URL once ready."""
    port = free_port()
    command = [sys.executable, "-m", "services.cli.main", "up", "--config", str(config)]
    command += ["--data", str(data), "--port", str(port)]
    env = {**os.environ, "TOCSIN_LOG_FORMAT": "json"}
    if snapshot_every is not None:
        env["TOCSIN_SNAPSHOT_EVERY"] = str(snapshot_every)
    with log.open("ab") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/readyz", timeout=1.0).status_code == 200:
                    break
            time.sleep(0.1)
        yield process, base
    finally:
        stop(process)


def post(base: str, body: dict[str, Any]) -> None:
    answer = httpx.post(
        f"{base}/api/v1/alerts/alertmanager",
        content=orjson.dumps(body),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert answer.status_code == 202, answer.text


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(10)


def _connect(data: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{data / 'tocsin.sqlite'}?mode=ro", uri=True)


def wait_caught_up(data: Path, timeout_s: float = 20.0) -> None:
    """Until the correlator committed every record of tocsin.alerts, twice in a row."""
    deadline, settled = time.monotonic() + timeout_s, 0
    while time.monotonic() < deadline and settled < 2:
        with contextlib.closing(_connect(data)) as db:
            ends = dict(
                db.execute(
                    "SELECT partition, MAX(offset) + 1 FROM records WHERE topic = 'tocsin.alerts'"
                    " GROUP BY partition"
                ).fetchall()
            )
            done = dict(
                db.execute(
                    "SELECT partition, next_offset FROM group_offsets"
                    " WHERE grp = 'tocsin-correlator' AND topic = 'tocsin.alerts'"
                ).fetchall()
            )
        settled = settled + 1 if ends and all(done.get(p) == e for p, e in ends.items()) else 0
        time.sleep(0.3)
    assert settled >= 2, f"correlator not caught up within {timeout_s}s"


def wait_snapshotted(data: Path, timeout_s: float = 30.0) -> None:
    """Until the correlator and the router each wrote a snapshot of some partition."""
    deadline = time.monotonic() + timeout_s
    wanted = {"tocsin.correlator.state", "tocsin.router.state"}
    while time.monotonic() < deadline:
        with contextlib.closing(_connect(data)) as db:
            found = db.execute(
                "SELECT DISTINCT topic FROM records WHERE key = 'manifest'"
            ).fetchall()
        if wanted <= {topic for (topic,) in found}:
            return
        time.sleep(0.2)
    raise AssertionError(f"no snapshots of {sorted(wanted)} within {timeout_s}s")


@dataclass(frozen=True)
class Incidents:
    """incident id -> (group key, opening alert's fingerprint, every alert's fingerprint)."""

    by_id: dict[str, tuple[str, str, frozenset[str]]]

    def by_content(self) -> set[tuple[str, str, frozenset[str]]]:
        """The incidents without their ids (which embed the wall-clock time they opened)."""
        return set(self.by_id.values())


def live_incidents(data: Path) -> Incidents:
    """The correlator's decisions on tocsin.incidents, duplicates (same event id) dropped."""
    with contextlib.closing(_connect(data)) as db:
        rows = db.execute(
            "SELECT value FROM records WHERE topic = 'tocsin.incidents' ORDER BY partition, offset"
        ).fetchall()
    seen: set[str] = set()
    opened: dict[str, tuple[str, str]] = {}
    members: dict[str, set[str]] = defaultdict(set)
    for (value,) in rows:
        envelope = orjson.loads(value)
        if envelope["event_id"] in seen:
            continue
        seen.add(envelope["event_id"])
        event = envelope["payload"]
        if envelope["type"] == "IncidentOpened":
            opened[event["incident_id"]] = (event["group_key"], event["alert"]["fingerprint"])
            members[event["incident_id"]].add(event["alert"]["fingerprint"])
        elif envelope["type"] == "AlertGrouped":
            members[event["incident_id"]].add(event["alert"]["fingerprint"])
    return Incidents({i: (*opened[i], frozenset(members[i])) for i in opened})


def replayed_incidents(output: Path) -> dict[str, frozenset[str]]:
    """incident id -> fingerprints of its firing notifications, from `tocsin replay` output."""
    members: dict[str, set[str]] = defaultdict(set)
    for line in output.read_bytes().splitlines():
        row = orjson.loads(line)
        if row["decision"] in ("opened", "grouped", "deduplicated", "inhibited"):
            members[row["incident_id"]].add(row["fingerprint"])
    return {incident: frozenset(fps) for incident, fps in members.items()}


def tocsin(*args: str) -> None:
    """`tocsin ARGS` in this process (as the console script runs it); fails on a non-zero exit."""
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    assert exited.value.code == 0


# Decisions about alert notifications, as the correlator writes them and as replay prints them.
_DECIDED = {
    "IncidentOpened": "opened",
    "AlertResolved": "resolved",
    "AlertHeld": "held",
    "AlertHoldEnded": "hold ended",
}
Decision = tuple[str, str | None, str]  # (fingerprint, incident id, decision)


def live_decisions(data: Path) -> list[Decision]:
    """The correlator's decision about each alert notification, in log order (one domain)."""
    with contextlib.closing(_connect(data)) as db:
        rows = db.execute(
            "SELECT value FROM records WHERE topic = 'tocsin.incidents' ORDER BY partition, offset"
        ).fetchall()
    seen: set[str] = set()
    decided: list[Decision] = []
    for (value,) in rows:
        envelope = orjson.loads(value)
        kind, event = envelope["type"], envelope["payload"]
        if envelope["event_id"] in seen:
            continue
        seen.add(envelope["event_id"])
        if kind == "AlertGrouped":
            decided.append((event["alert"]["fingerprint"], event["incident_id"], event["decision"]))
        elif kind == "InputDropped" and event["input_type"] == "AlertReceived":
            decided.append((event["fingerprint"], event["incident_id"], "ignored"))
        elif kind in _DECIDED:
            alert = event.get("alert")
            fingerprint = alert["fingerprint"] if alert is not None else event["fingerprint"]
            decided.append((fingerprint, event.get("incident_id"), _DECIDED[kind]))
    return decided


def replayed_decisions(output: Path) -> list[Decision]:
    """(fingerprint, incident id, decision) of each line of `tocsin replay` output."""
    rows = [orjson.loads(line) for line in output.read_bytes().splitlines()]
    return [(row["fingerprint"], row["incident_id"], row["decision"]) for row in rows]
