"""`tocsin ingest` on Kafka while the broker goes away and a new one takes its place: every
request meanwhile is refused with 503 and Retry-After (never a 2xx it could not keep), and the
same process accepts again once a broker answers."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.ingest.tansu import TansuBroker
from tests.support.brokers import free_port
from tests.support.processes import tocsin_process

AM_TOKEN = "outage-am-token"
PD_KEY = "0123456789abcdef0123456789abcdef"
GENIE_KEY = "outage-genie-key"
HEARTBEAT_TOKEN = "outage-heartbeat-token"
CONFIG = f"""
integrations:
  - {{name: prom, type: alertmanager, token: {AM_TOKEN}}}
  - {{name: pd, type: pagerduty, token: {PD_KEY}, default_labels: {{region: eu-west}}}}
  - {{name: genie, type: opsgenie, token: {GENIE_KEY}}}
heartbeats:
  - {{name: prometheus, interval: 2m, token: {HEARTBEAT_TOKEN}}}
"""
AM_BODY = {
    "version": "4",
    "status": "firing",
    "alerts": [{"status": "firing", "labels": {"alertname": "NodeDown", "region": "eu-west"}}],
}
PD_BODY = {
    "routing_key": PD_KEY,
    "event_action": "trigger",
    "dedup_key": "node-7",
    "payload": {"summary": "NodeDown", "severity": "critical", "source": "node-7"},
}
GENIE = {"Authorization": f"GenieKey {GENIE_KEY}"}
# (path, body, headers): one request per kind of endpoint.
REQUESTS = [
    ("/api/v1/alerts/alertmanager", AM_BODY, {"Authorization": f"Bearer {AM_TOKEN}"}),
    ("/v2/enqueue", PD_BODY, {}),
    ("/v2/change/enqueue", {"routing_key": PD_KEY, "payload": {"summary": "deploy"}}, {}),
    ("/v2/alerts", {"message": "NodeDown", "alias": "node-7"}, GENIE),
    ("/v2/alerts/node-7/close?identifierType=alias", None, GENIE),
    ("/api/v1/heartbeats/prometheus", None, {"Authorization": f"Bearer {HEARTBEAT_TOKEN}"}),
]


def post_all(base: str) -> list[httpx.Response]:
    def post(request: tuple[str, object, dict[str, str]]) -> httpx.Response:
        path, body, headers = request
        return httpx.post(f"{base}{path}", json=body, headers=headers, timeout=15)

    with ThreadPoolExecutor(len(REQUESTS)) as pool:
        return list(pool.map(post, REQUESTS))


def statuses(answers: list[httpx.Response]) -> list[int]:
    return [answer.status_code for answer in answers]


@pytest.mark.kafka
def test_ingest_answers_503_while_the_broker_is_gone_and_202_once_a_new_one_is_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOCSIN_APPEND_TIMEOUT_S", "1")
    config = tmp_path / "tocsin.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    port, broker_log = free_port(), tmp_path / "broker.log"
    with TansuBroker(port, broker_log) as broker:
        args = ["ingest", "--config", str(config), "--kafka", broker.bootstrap]
        with tocsin_process(args, tmp_path / "ingest.log") as base:
            assert statuses(post_all(base)) == [202] * len(REQUESTS)

            broker.crash()
            refused = post_all(base)
            assert statuses(refused) == [503] * len(REQUESTS), [a.text for a in refused]
            assert {a.headers["Retry-After"] for a in refused} == {"5"}

            broker.start()  # a new, empty broker on the same port; the process stays
            seen = wait_until_all_accepted(base, timeout_s=30)
    assert seen <= {202, 503}


def wait_until_all_accepted(base: str, timeout_s: float) -> set[int]:
    """Post every request until all answer 202; the statuses seen on the way."""
    seen: set[int] = set()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        answers = statuses(post_all(base))
        seen |= set(answers)
        if answers == [202] * len(REQUESTS):
            return seen
        time.sleep(0.2)
    raise AssertionError(f"not all accepted within {timeout_s}s; statuses seen: {seen}")
