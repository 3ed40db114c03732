"""`tocsin up --retention`: old records leave the embedded log, and after restarts the incidents,
the open alerts' deduplication and the read model are all still there (each reader recovers
from its snapshot, never from what retention deleted)."""

from __future__ import annotations

import contextlib
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from shared.topics import ALERTS, INCIDENTS, PAYLOADS
from tests.support.processes import ManagedProcess
from tests.support.receiver import PageReceiver
from tests.support.webhook import post_firing_alert, webhook_config

TOKEN = "retention-ingest-token"
API = {"Authorization": "Bearer retention-api-token-0001"}


def _config(folder: Path, receiver_url: str) -> Path:
    accounts = "api:\n  service_accounts: [{name: ops, token: retention-api-token-0001}]\n"
    return webhook_config(folder, TOKEN, receiver_url, accounts)


def _post(base: str, alertname: str) -> None:
    labels = {"alertname": alertname, "instance": "node-7", "region": "eu-west"}
    post_firing_alert(base, TOKEN, labels, f"{alertname} on node-7")


def _pages(receiver: PageReceiver, count: int) -> None:
    receiver.wait_for(count, timeout_s=30)
    time.sleep(2)  # a page sent twice would have arrived by now
    assert len(receiver.received) == count, [
        r.json()["incident"]["title"] for r in receiver.received
    ]


def _titles(base: str) -> set[str]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            answer = httpx.get(f"{base}/api/v1/incidents", headers=API, timeout=10)
            if answer.status_code == 200:
                return {incident["title"] for incident in answer.json()["incidents"]}
        time.sleep(0.2)
    raise AssertionError("the incidents API did not answer")


def _pruned(base: str, topic: str) -> float:
    metrics = httpx.get(f"{base}/metrics", timeout=10).text
    pattern = rf'tocsin_log_records_pruned_total{{topic="{re.escape(topic)}"}} (\S+)'
    found = re.search(pattern, metrics)
    return float(found.group(1)) if found else 0.0


def _first_offsets(data: Path, topic: str) -> list[int]:
    with contextlib.closing(sqlite3.connect(data / "tocsin.sqlite")) as connection:
        rows = connection.execute(
            "SELECT MIN(offset) FROM records WHERE topic = ? GROUP BY partition", (topic,)
        )
        return [row[0] for row in rows]


@pytest.mark.e2e
def test_retention_prunes_old_records_and_restarts_keep_every_incident(
    tmp_path: Path, receiver: PageReceiver
) -> None:
    config, data = _config(tmp_path, receiver.url), tmp_path / "data"
    args = ["up", "--config", str(config), "--data", str(data), "--retention", "2s"]
    env = {"TOCSIN_PRUNE_EVERY_S": "1"}

    # Given an alert paged, and Tocsin stopped cleanly (every reader snapshots at the stop),
    first = ManagedProcess(args, tmp_path / "up-1.log", env=env).start()
    _post(first.url, "DiskFull")
    _pages(receiver, 1)
    first.stop()

    # when it runs again with another alert, long enough for the first run's records to age,
    second = ManagedProcess(args, tmp_path / "up-2.log", env=env).start()
    _post(second.url, "NodeDown")
    _pages(receiver, 2)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not _pruned(second.url, PAYLOADS):
        _post(second.url, "NodeDown")  # a repeat: deduplicated, keeps the log moving
        time.sleep(0.5)
    pruned = {topic: _pruned(second.url, topic) for topic in (ALERTS, PAYLOADS)}
    second.stop()

    # then the first run's records are gone,
    assert pruned[PAYLOADS] > 0 and pruned[ALERTS] > 0, pruned
    assert max(_first_offsets(data, PAYLOADS)) > 0

    # and a third run still knows both incidents and deduplicates the first alert.
    third = ManagedProcess(args, tmp_path / "up-3.log", env=env).start()
    try:
        assert _titles(third.url) == {"DiskFull on node-7", "NodeDown on node-7"}
        _post(third.url, "DiskFull")
        _pages(receiver, 2)
    finally:
        third.stop()


def _silence_records_left(data: Path) -> int:
    """`SilenceCreated` records still on `tocsin.incidents` partition 0, where `route test`
    reads the API's silences."""
    with contextlib.closing(sqlite3.connect(data / "tocsin.sqlite")) as connection:
        [(count,)] = connection.execute(
            "SELECT COUNT(*) FROM records WHERE topic = ? AND partition = 0"
            " AND CAST(value AS TEXT) LIKE '%SilenceCreated%'",
            (INCIDENTS,),
        )
        return int(count)


@pytest.mark.e2e
def test_route_test_still_sees_an_api_silence_after_retention_pruned_its_record(
    tmp_path: Path, receiver: PageReceiver
) -> None:
    """`route test --data` takes the API's silences from the router's snapshot, then the
    records after it: it read them from the log alone, so a silence still active but whose
    record retention had removed (the readers' snapshots held it) held nothing there."""
    config, data = _config(tmp_path, receiver.url), tmp_path / "data"
    args = ["up", "--config", str(config), "--data", str(data), "--retention", "2s"]
    env = {"TOCSIN_PRUNE_EVERY_S": "1"}
    first = ManagedProcess(args, tmp_path / "up-1.log", env=env).start()
    window = {"matchers": ['alertname="DiskFull"'], "duration": "2h", "comment": "disk swap"}
    created = httpx.post(f"{first.url}/api/v1/silences", json=window, headers=API, timeout=10)
    assert created.status_code == 201, created.text
    silence_id = created.json()["silence_id"]
    first.stop()  # every reader snapshots at a clean stop

    second = ManagedProcess(args, tmp_path / "up-2.log", env=env).start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _silence_records_left(data):
        _post(second.url, "NodeDown")  # keeps the log moving, so retention runs
        time.sleep(0.5)
    second.stop()
    assert _silence_records_left(data) == 0

    route_test = [sys.executable, "-m", "services.cli.main", "route", "test"]
    route_test += ["--config", str(config), "--data", str(data), "alertname=DiskFull"]
    done = subprocess.run(route_test, capture_output=True, text=True, timeout=60, check=False)

    assert done.returncode == 0, done.stderr
    assert f"api:{silence_id} (active on arrival" in done.stdout, done.stdout
