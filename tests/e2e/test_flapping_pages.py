"""An alert that keeps resolving and firing again, with quiet gaps longer than the resolve grace,
pages `max_flaps + 1` times on `tocsin up` and then no more while it flaps: the incident it then
opens is flapping, visible as such in the incidents API."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.support.processes import tocsin_process
from tests.support.receiver import PageReceiver

TOKEN = "e2e-canonical-token"
ADMIN = "e2e-admin-token-0001"
GRACE_S = 1.0  # resolve_grace: each quiet gap below outlasts it, so each incident resolves


def write_config(folder: Path, webhook_url: str) -> Path:
    path = folder / "tocsin.yaml"
    path.write_text(f"""
integrations:
  - {{name: probes, type: canonical, token: {TOKEN}}}
route:
  receiver: team
  group_by: [alertname, instance]
  group_wait: 0s
correlation:
  resolve_grace: 1s
  flapping: {{max_flaps: 1, within: 10m}}
channels:
  # Pages only: the channel is not told of each incident resolving (`updates`).
  hook: {{type: webhook, url: "{webhook_url}/pages", secret: s3cret, updates: []}}
escalation_policies:
  - name: team
    steps:
      - {{delay: 0s, notify: ["channel:hook"]}}
api:
  service_accounts:
    - {{name: e2e, token: {ADMIN}}}
""")
    return path


def post(base: str, status: str) -> None:
    body = {"labels": {"alertname": "ProbeFailed", "instance": "probe-3"}, "status": status}
    answer = httpx.post(
        f"{base}/api/v1/alerts", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert answer.status_code == 202, answer.text


def incidents(base: str) -> list[dict[str, object]]:
    answer = httpx.get(f"{base}/api/v1/incidents", headers={"Authorization": f"Bearer {ADMIN}"})
    assert answer.status_code == 200, answer.text
    listed: list[dict[str, object]] = answer.json()["incidents"]
    return listed


def wait_until_resolved(base: str, count: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if sum(1 for i in incidents(base) if i["status"] == "resolved") >= count:
            return
        time.sleep(0.2)
    raise AssertionError(f"fewer than {count} incidents resolved: {incidents(base)}")


@pytest.mark.e2e
def test_a_probe_flapping_slower_than_the_grace_stops_paging_once_it_is_flapping(
    tmp_path: Path, receiver: PageReceiver
) -> None:
    config = write_config(tmp_path, receiver.url)
    args = ["up", "--config", str(config), "--data", str(tmp_path / "data")]
    with tocsin_process(args, tmp_path / "up.log") as base:
        # Given the probe fired and recovered twice, each time for good (its incident resolved)
        for flap in range(2):
            post(base, "firing")
            receiver.wait_for(flap + 1, timeout_s=30)
            post(base, "resolved")
            wait_until_resolved(base, flap + 1)

        # When it fires again (its second flap within the window: more than max_flaps 1),
        # and keeps flapping
        for _ in range(3):
            post(base, "firing")
            time.sleep(GRACE_S + 1)
            post(base, "resolved")
            time.sleep(GRACE_S + 1)
        time.sleep(2)  # a page sent for any of these would have arrived by now

        # Then it paged twice in all, and the one incident it opened since is flapping
        assert len(receiver.received) == 2, [r.body for r in receiver.received]
        listed = incidents(base)
    assert [(i["status"], i["flapping"]) for i in listed] == [
        ("triggered", True),
        ("resolved", False),
        ("resolved", False),
    ]
