"""A receiver that never answers holds up no other page of `tocsin up`: a page to a healthy
receiver for an unrelated incident, requested while a page to the hanging one is on its way
(4 tries of 10 s), goes out at once. The dispatcher no longer waits for a batch's slowest
delivery before reading on, nor does the runner for one partition's before the next."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.processes import tocsin_process
from tests.support.receiver import PageReceiver

TOKEN = "e2e-am-token"


@pytest.fixture
def hanging_url() -> Iterator[str]:
    """A TCP port that accepts connections (kernel backlog) and never answers a request."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    sock.close()


def alert(name: str, service: str) -> dict[str, object]:
    return {
        "version": "4",
        "status": "firing",
        "receiver": "tocsin",
        "groupKey": "{}:{}",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": name, "service": service, "severity": "critical"},
                "annotations": {"summary": f"{name} on {service}"},
                "startsAt": "2026-11-27T06:49:15Z",
                "endsAt": "0001-01-01T00:00:00Z",
            }
        ],
    }


@pytest.mark.e2e
def test_a_hanging_receiver_does_not_delay_an_unrelated_page(
    tmp_path: Path, receiver: PageReceiver, hanging_url: str
) -> None:
    config = tmp_path / "tocsin.yaml"
    config.write_text(f"""
integrations:
  - {{name: am, type: alertmanager, token: {TOKEN}}}
route:
  receiver: stuck
  group_by: [alertname, service]
  group_wait: 0s
  routes:
    - matchers: ['service="search"']
      receiver: healthy
users:
  - name: alice
    contacts: [{{type: slack, url: "{hanging_url}"}}]
  - name: carol
    contacts: [{{type: webhook, url: "{receiver.url}/carol"}}]
escalation_policies:
  - name: stuck
    steps: [{{delay: 0s, notify: ["user:alice"]}}]
  - name: healthy
    steps: [{{delay: 0s, notify: ["user:carol"]}}]
""")
    args = ["up", "--config", str(config), "--data", str(tmp_path / "data")]
    with tocsin_process(args, tmp_path / "tocsin.log") as base:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        url = f"{base}/api/v1/alerts/alertmanager"
        assert httpx.post(url, json=alert("NodeDown", "payments"), headers=headers).is_success
        time.sleep(2)  # alice's page is in flight, hanging
        posted = time.monotonic()
        assert httpx.post(url, json=alert("HighLatency", "search"), headers=headers).is_success
        pages = receiver.wait_for(1, timeout_s=15)
        waited = time.monotonic() - posted
    # carol's receiver answers at once and her incident has no group wait: seconds at most.
    assert len(pages) == 1, f"carol not paged within {waited:.0f}s"
