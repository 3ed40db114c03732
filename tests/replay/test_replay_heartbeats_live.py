"""A heartbeat that went missing in a live `tocsin up` goes missing in the replay of its
`tocsin export` too: the export carries the check-ins posted to the heartbeat's endpoint, and
an alert that joined the missed heartbeat's incident live joins it offline."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from pathlib import Path

import httpx
import orjson
import pytest

from tests.replay.replay_live import (
    TOKEN,
    live_decisions,
    post,
    replayed_decisions,
    tocsin,
    tocsin_up,
    wait_caught_up,
)

pytestmark = pytest.mark.e2e
HEARTBEAT_TOKEN = "replay-heartbeat-token"
CONFIG = f"""
integrations:
  - {{name: prom, type: alertmanager, token: {TOKEN}}}
correlation:
  domain_labels: [region]
heartbeats:
  - {{name: backup, interval: 2s, token: {HEARTBEAT_TOKEN}, labels: {{region: eu-west}}}}
route:
  receiver: console
  group_by: [region]
  group_wait: 0s
channels:
  console: {{type: console}}
"""
ALERT = {
    "status": "firing",
    "labels": {"alertname": "BackupStale", "region": "eu-west"},
    "startsAt": "2026-11-27T06:00:00Z",
    "endsAt": "0001-01-01T00:00:00Z",
}


def _check_in(base: str) -> None:
    headers = {"Authorization": f"Bearer {HEARTBEAT_TOKEN}"}
    answer = httpx.post(f"{base}/api/v1/heartbeats/backup", headers=headers, timeout=10)
    assert answer.status_code == 202, answer.text


def _wait_missed(data: Path, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        uri = f"file:{data / 'tocsin.sqlite'}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
            rows = db.execute("SELECT value FROM records WHERE topic = 'tocsin.incidents'")
            if any(orjson.loads(v)["type"] == "HeartbeatMissed" for (v,) in rows):
                return
        time.sleep(0.2)
    raise AssertionError(f"heartbeat not missed within {timeout_s}s")


def test_replay_misses_the_heartbeat_the_live_run_missed(tmp_path: Path) -> None:
    config, data = tmp_path / "tocsin.yaml", tmp_path / "data"
    config.write_text(CONFIG)
    with tocsin_up(data, config, tmp_path / "up.log") as (_, base):
        _check_in(base)
        time.sleep(1.0)
        _check_in(base)
        _wait_missed(data)  # silent for its 2 s interval
        post(base, {"version": "4", "status": "firing", "receiver": "r", "alerts": [ALERT]})
        wait_caught_up(data)
    [live] = [d for d in live_decisions(data) if d[2] == "grouped"]

    exported, output = tmp_path / "export.jsonl", tmp_path / "incidents.jsonl"
    tocsin("export", "--config", str(config), "--data", str(data), "--output", str(exported))
    lines = [orjson.loads(line) for line in exported.read_bytes().splitlines()]
    assert [line["source"] for line in lines] == ["heartbeat", "heartbeat", "alertmanager"]
    assert lines[0]["payload"] == {"name": "backup"}
    tocsin("replay", "--config", str(config), "--input", str(exported), "--output", str(output))

    # The alert joins the incident of the missed heartbeat, live and offline: the same one,
    # whose id embeds when the heartbeat was missed (its due time, not when a tick came).
    [replayed] = replayed_decisions(output)
    assert replayed == live and replayed[2] == "grouped"
