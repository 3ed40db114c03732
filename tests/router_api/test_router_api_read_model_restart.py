"""`tocsin up` stopped cleanly and started again on the same data: the incidents API answers
the same list, from the read model's snapshot rather than a refold of the whole log."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.support.processes import tocsin_process
from tests.support.webhook import post_firing_alert

# Alice's incidents API token in the built-in demo config (its ingest token: `demo-token`).
ALICE = {"Authorization": "Bearer demo-alice-token"}
NAMES = ("PaymentsDown", "DiskFull", "QueueBacklog")


def post_alert(base: str, alertname: str) -> None:
    labels = {"alertname": alertname, "service": "payments-api", "severity": "critical"}
    post_firing_alert(base, "demo-token", labels, f"{alertname} on payments-api")


def incidents(base: str, at_least: int, timeout_s: float = 30) -> list[dict[str, Any]]:
    """The incident list once the read model is ready and holds `at_least` incidents."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        answer = httpx.get(f"{base}/api/v1/incidents", headers=ALICE, timeout=10)
        if answer.status_code == 200 and answer.json()["total"] >= at_least:
            found: list[dict[str, Any]] = answer.json()["incidents"]
            return found
        time.sleep(0.2)
    raise AssertionError(f"the incidents API did not list {at_least} incidents")


def log_lines(path: Path, skip_bytes: int) -> list[dict[str, Any]]:
    text = path.read_bytes()[skip_bytes:].decode()
    return [orjson.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.mark.e2e
def test_a_restarted_tocsin_up_answers_the_same_incidents_from_the_read_model_snapshot(
    tmp_path: Path,
) -> None:
    # Given `tocsin up` with three incidents opened from posted alerts, stopped cleanly,
    args = ["up", "--data", str(tmp_path / "data")]
    log_path = tmp_path / "up.log"
    with tocsin_process(args, log_path) as base:
        for name in NAMES:
            post_alert(base, name)
        before = incidents(base, at_least=len(NAMES))
    first_run = log_lines(log_path, 0)
    assert any(line["message"] == "read model snapshot written" for line in first_run)

    # when it starts again on the same data,
    restart_at = log_path.stat().st_size
    with tocsin_process(args, log_path) as base:
        after = incidents(base, at_least=len(NAMES))
    second_run = log_lines(log_path, restart_at)

    # then it lists the same incidents, and its read model came from the snapshot.
    assert sorted(i["title"] for i in before) == sorted(f"{n} on payments-api" for n in NAMES)
    assert after == before
    [restored] = [line for line in second_run if line["logger"].endswith("projection.tailer")]
    assert restored["message"] == "read model restored from snapshot"
    assert restored["positions"] > 0 and restored["incidents"] == len(NAMES)
