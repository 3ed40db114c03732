"""Scaling out on Kafka: a correlator joining the consumer group of one that has run a while
takes partitions from it, and the first goes on with the rest. During the rebalance the first
member's poll loop still sees its old assignment and starts recovering every partition; it
used to keep the ones it lost and stop on aiokafka's `Partition is not assigned`."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from tests.support.brokers import tansu_broker
from tests.support.processes import ManagedProcess

CONFIG = """\
integrations:
  - {name: json, type: canonical, token: audit-token}
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 0s
channels:
  hook: {type: webhook, url: "http://127.0.0.1:9/pages"}
"""


@pytest.mark.kafka
def test_a_second_correlator_joining_later_leaves_the_first_running(tmp_path: Path) -> None:
    config = tmp_path / "tocsin.yaml"
    config.write_text(CONFIG)
    with tansu_broker(tmp_path / "broker.log") as bootstrap:
        args = ["--config", str(config), "--kafka", bootstrap]
        ingest = ManagedProcess(["ingest", *args], tmp_path / "ingest.log").start()
        first = ManagedProcess(["correlator", *args], tmp_path / "correlator-1.log")
        second = ManagedProcess(["correlator", *args], tmp_path / "correlator-2.log")
        try:
            first.start()
            for region in ("eu-west", "us-east", "ap-south", "us-west"):
                answer = httpx.post(
                    f"{ingest.url}/api/v1/alerts",
                    json={"labels": {"alertname": "A", "region": region}},
                    headers={"Authorization": "Bearer audit-token"},
                )
                assert answer.status_code == 202
            time.sleep(10)  # the first owns every partition and has folded their alerts
            second.start()
            time.sleep(20)  # the rebalance (Tansu waits for joins) and a while after it
            assert first.process is not None and second.process is not None
            log = (tmp_path / "correlator-1.log").read_text()
            assert first.process.poll() is None, log[-3000:]
            assert second.process.poll() is None
            # The group shares the partitions out: the first kept only some of them.
            kept = _last_assignment(tmp_path / "correlator-1.log")
            taken = _last_assignment(tmp_path / "correlator-2.log")
            assert kept and taken and kept | taken == {0, 1, 2, 3} and not kept & taken
        finally:
            for process in (ingest, first, second):
                process.stop()


def _last_assignment(log: Path) -> set[int]:
    """The partitions of tocsin.alerts a member was last assigned, from its JSON log."""
    assigned: set[int] = set()
    for line in log.read_text().splitlines():
        if '"partitions assigned"' in line:
            entry = json.loads(line)
            if entry.get("topic") == "tocsin.alerts":
                assigned = set(entry["partitions"])
    return assigned
