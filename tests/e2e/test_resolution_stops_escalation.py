"""An incident that resolves on its own (its alert resolved, the grace passed: decided on a
tick) stops its escalation on `tocsin up`: the next step never pages. The region is one whose
partition is not the tick key's, where tick decisions once went astray."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from shared.events.inputs import TICK_KEY
from shared.log.partitioning import partition_for
from tests.support.processes import tocsin_process
from tests.support.receiver import PageReceiver

TOKEN = "e2e-canonical-token"
ADMIN = "e2e-admin-token-0001"
PARTITIONS = 4  # `tocsin up`'s default
REGION = "eu-west"
NEXT_STEP_S = 6


def write_config(folder: Path, webhook_url: str) -> Path:
    path = folder / "tocsin.yaml"
    path.write_text(f"""
integrations:
  - {{name: probes, type: canonical, token: {TOKEN}}}
route:
  receiver: team
  group_by: [alertname]
  group_wait: 0s
correlation:
  resolve_grace: 1s
channels:
  first: {{type: webhook, url: "{webhook_url}/first"}}
  second: {{type: webhook, url: "{webhook_url}/second"}}
escalation_policies:
  - name: team
    steps:
      - {{delay: 0s, notify: ["channel:first"]}}
      - {{delay: {NEXT_STEP_S}s, notify: ["channel:second"]}}
api:
  service_accounts:
    - {{name: e2e, token: {ADMIN}}}
""")
    return path


def post(base: str, status: str) -> None:
    labels = {"alertname": "DiskFull", "instance": "db-1", "region": REGION}
    answer = httpx.post(
        f"{base}/api/v1/alerts",
        json={"labels": labels, "status": status},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert answer.status_code == 202, answer.text


@pytest.mark.e2e
def test_an_incident_resolved_on_its_own_pages_no_further_step(
    tmp_path: Path, receiver: PageReceiver
) -> None:
    assert partition_for(f"region={REGION}", PARTITIONS) != partition_for(TICK_KEY, PARTITIONS)
    config = write_config(tmp_path, receiver.url)
    args = ["up", "--config", str(config), "--data", str(tmp_path / "data")]
    with tocsin_process(args, tmp_path / "up.log") as base:
        # Given an incident paged by its first step, whose alert then resolves
        post(base, "firing")
        receiver.wait_for(1, timeout_s=30)
        post(base, "resolved")

        # When the grace passes (the incident resolves) and the second step's time comes
        time.sleep(NEXT_STEP_S + 3)

        # Then the second step paged nobody, the first step's channel was told it resolved,
        # and the incident is resolved
        told = [(r.path, r.json()["incident"]["status"]) for r in receiver.received]
        assert told == [("/first", "triggered"), ("/first", "resolved")]
        listed = httpx.get(
            f"{base}/api/v1/incidents", headers={"Authorization": f"Bearer {ADMIN}"}
        ).json()["incidents"]
    assert [i["status"] for i in listed] == ["resolved"]
