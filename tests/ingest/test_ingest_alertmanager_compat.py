"""A real Alertmanager 0.25 notifies Tocsin through its webhook receiver: the alerts posted to
Alertmanager arrive on Tocsin's log as canonical AlertReceived events with Alertmanager's own
fingerprints, firing and then resolved."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.alerts import Alert
from shared.events import AlertReceived
from tests.ingest import alertmanager_runner
from tests.ingest.alertmanager_runner import running_alertmanager
from tests.ingest.harness import AM_TOKEN, Ingest, running_ingest, served_over_http

STARTS_AT = (datetime.now(UTC) - timedelta(minutes=3)).replace(microsecond=0)


def alertmanager_config(ingest_url: str) -> str:
    return f"""
route:
  receiver: tocsin
  group_by: [alertname]
  group_wait: 50ms
  group_interval: 300ms
  repeat_interval: 1h
receivers:
  - name: tocsin
    webhook_configs:
      - url: {ingest_url}/api/v1/alerts/alertmanager
        http_config:
          authorization:
            credentials: {AM_TOKEN}
"""


def posted_alerts(ends_at: datetime | None = None) -> list[dict[str, Any]]:
    alerts = []
    for instance in ("node-1", "node-2"):
        alert: dict[str, Any] = {
            "labels": {
                "alertname": "DiskFull",
                "instance": instance,
                "region": "eu-west",
                "severity": "warning",
                "empty": "",  # Alertmanager drops empty labels before fingerprinting
            },
            "annotations": {"summary": f"disk almost full on {instance}"},
            "startsAt": STARTS_AT.isoformat().replace("+00:00", "Z"),
            "generatorURL": "http://prometheus.example:9090/graph",
        }
        if ends_at is not None:
            alert["endsAt"] = ends_at.isoformat().replace("+00:00", "Z")
        alerts.append(alert)
    return alerts


@pytest.fixture
def ingest(tmp_path: Path) -> Iterator[Ingest]:
    with running_ingest(tmp_path / "tocsin") as running:
        # Alertmanager stamps times with the real clock, and ingest refuses a start more than
        # an hour after the receive time: receive at the real time too.
        running.clock.now = datetime.now(UTC)
        yield running


def wait_for(ingest: Ingest, count: int, keep: Callable[[Alert], bool]) -> list[Alert]:
    found: list[Alert] = []
    deadline = time.monotonic() + 15
    while len(found) < count and time.monotonic() < deadline:
        events = ingest.new_events("tocsin.alerts")
        found += [e.event.alert for e in events if isinstance(e.event, AlertReceived)]
        found = [alert for alert in found if keep(alert)]
        time.sleep(0.05)
    return found


@pytest.mark.e2e
def test_alerts_posted_to_a_real_alertmanager_arrive_with_its_fingerprints(
    ingest: Ingest, tmp_path: Path
) -> None:
    with (
        served_over_http(ingest) as ingest_url,
        running_alertmanager(alertmanager_config(ingest_url), tmp_path / "am") as am_url,
    ):
        posted = httpx.post(f"{am_url}/api/v2/alerts", json=posted_alerts(), timeout=5)
        assert posted.status_code == 200, posted.text
        stored = httpx.get(f"{am_url}/api/v2/alerts", timeout=5).json()
        fingerprints = {a["labels"]["instance"]: a["fingerprint"] for a in stored}
        firing = wait_for(ingest, 2, lambda alert: alert.status == "firing")

        resolved_at = datetime.now(UTC).replace(microsecond=0)
        posted = httpx.post(f"{am_url}/api/v2/alerts", json=posted_alerts(resolved_at), timeout=5)
        assert posted.status_code == 200, posted.text
        resolved = wait_for(ingest, 2, lambda alert: alert.status == "resolved")

    assert len(fingerprints) == 2
    for alerts, status in ((firing, "firing"), (resolved, "resolved")):
        by_instance = {alert.labels["instance"]: alert for alert in alerts}
        assert sorted(by_instance) == ["node-1", "node-2"], alerts
        for instance, alert in by_instance.items():
            assert alert.fingerprint == fingerprints[instance]
            assert alert.status == status
            assert (alert.source, alert.integration) == ("alertmanager", "prom")
            assert alert.labels == {
                "alertname": "DiskFull",
                "instance": instance,
                "region": "eu-west",
                "severity": "warning",
            }
            assert alert.annotations == {"summary": f"disk almost full on {instance}"}
            assert (alert.starts_at, alert.severity) == (STARTS_AT, "warning")
            assert alert.generator_url == "http://prometheus.example:9090/graph"
    assert {alert.ends_at for alert in resolved} == {resolved_at}


def test_a_missing_alertmanager_fails_naming_the_package_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(alertmanager_runner, "BINARY", "/nonexistent/prometheus-alertmanager")
    monkeypatch.setenv("PATH", "")

    with pytest.raises(AssertionError, match="apt-get install prometheus-alertmanager"):
        alertmanager_runner.alertmanager_binary()
