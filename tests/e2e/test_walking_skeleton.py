"""A posted alert becomes one incident and exactly one page: `tocsin up`, and the three
services as separate processes on the Kafka-protocol test broker."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.support.brokers import kafka_bootstrap
from tests.support.processes import tocsin_process
from tests.support.receiver import PageReceiver

TOKEN = "e2e-alertmanager-token"

ALERT = {
    "receiver": "tocsin",
    "status": "firing",
    "alerts": [
        {
            "status": "firing",
            "labels": {
                "alertname": "NodeDown",
                "instance": "node-7",
                "region": "eu-west",
                "severity": "critical",
            },
            "annotations": {"summary": "node-7 is unreachable"},
            "startsAt": "2026-11-27T06:49:15.086990123Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "",
            "fingerprint": "a1b2c3d4e5f60718",
        }
    ],
    "groupLabels": {"alertname": "NodeDown"},
    "commonLabels": {"alertname": "NodeDown"},
    "commonAnnotations": {},
    "externalURL": "http://alertmanager:9093",
    "version": "4",
    "groupKey": '{}:{alertname="NodeDown"}',
    "truncatedAlerts": 0,
}


def write_config(folder: Path, webhook_url: str) -> Path:
    path = folder / "tocsin.yaml"
    path.write_text(f"""
integrations:
  - {{name: prom, type: alertmanager, token: {TOKEN}}}
route:
  receiver: team
  group_by: [alertname]
  group_wait: 0s
channels:
  hook: {{type: webhook, url: "{webhook_url}/pages", secret: s3cret}}
  console: {{type: console}}
escalation_policies:
  - name: team
    steps:
      - {{delay: 0s, notify: ["channel:hook", "channel:console"]}}
""")
    return path


def post_alert(ingest_url: str) -> None:
    answer = httpx.post(
        f"{ingest_url}/api/v1/alerts/alertmanager",
        json=ALERT,
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )
    assert answer.status_code == 202, answer.text


def assert_exactly_one_page(receiver: PageReceiver) -> None:
    pages = receiver.wait_for(1, timeout_s=30)
    time.sleep(3)  # anything sent twice would have arrived by now
    assert len(receiver.received) == 1, [r.body for r in receiver.received]
    [page] = pages
    assert page.path == "/pages"
    assert page.headers["X-Tocsin-Signature"].startswith("v1=")
    body = page.json()
    assert body["incident"]["title"] == "NodeDown on node-7" if "incident" in body else True
    assert "INC-" in page.body.decode()


@pytest.mark.e2e
def test_tocsin_up_turns_a_posted_alert_into_one_page(
    tmp_path: Path, receiver: PageReceiver
) -> None:
    config = write_config(tmp_path, receiver.url)
    log = tmp_path / "up.log"
    args = ["up", "--config", str(config), "--data", str(tmp_path / "data")]
    with tocsin_process(args, log) as base:
        post_alert(base)
        assert_exactly_one_page(receiver)
        metrics = httpx.get(f"{base}/metrics", timeout=5).text
    assert "tocsin_ingest_alerts_accepted_total" in metrics
    for group in ("tocsin-correlator", "tocsin-router", "tocsin-dispatcher"):
        assert f'tocsin_consumer_lag_records{{group="{group}",' in metrics
    assert "--- page" in log.read_text()  # the console channel paged too


@pytest.mark.e2e
@pytest.mark.kafka
def test_three_services_on_kafka_turn_a_posted_alert_into_one_page(
    tmp_path: Path, receiver: PageReceiver
) -> None:
    config = write_config(tmp_path, receiver.url)
    with kafka_bootstrap(tmp_path / "broker.log") as bootstrap:
        common = ["--config", str(config), "--kafka", bootstrap]
        with (
            tocsin_process(["ingest", *common], tmp_path / "ingest.log") as ingest,
            tocsin_process(["correlator", *common], tmp_path / "correlator.log") as correlator,
            tocsin_process(["router", *common], tmp_path / "router.log") as router,
        ):
            post_alert(ingest)
            assert_exactly_one_page(receiver)
            for base in (ingest, correlator, router):
                assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
                assert httpx.get(f"{base}/readyz", timeout=5).status_code == 200
                # load balancers probe with HEAD too: answered, without a body
                for path in ("/healthz", "/readyz"):
                    head = httpx.head(f"{base}{path}", timeout=5)
                    assert (head.status_code, head.content) == (200, b"")
                assert "tocsin_" in httpx.get(f"{base}/metrics", timeout=5).text
