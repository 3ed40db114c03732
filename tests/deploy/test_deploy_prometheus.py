"""A real Prometheus watching the three Tocsin services on the Kafka-protocol test broker, with
deploy/prometheus/prometheus.yml (targets rewritten to loopback ports, 1s intervals) and
Tocsin's health rules (`for:` shortened where this test waits for them). Healthy, only the
watchdog fires; then bad payloads, a webhook nobody answers and a stopped router each make
their alert fire."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.deploy.deploy_support import PROMETHEUS_CONFIG, RULES, load_yaml, system_binary
from tests.support.brokers import free_port, kafka_bootstrap
from tests.support.processes import stop

TOKEN = "deploy-e2e-token"
SERVICES = ("ingest", "correlator", "router")
SHORTENED = {"TocsinTargetDown", "TocsinIngestRejectingRequests"}
ALERT = {
    "version": "4",
    "status": "firing",
    "receiver": "tocsin",
    "groupKey": "{}:{}",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "DiskFull", "instance": "db-1", "region": "eu-west"},
            "annotations": {"summary": "disk full"},
            "startsAt": "2026-11-27T06:49:15Z",
            "endsAt": "0001-01-01T00:00:00Z",
        }
    ],
}


def write_tocsin_config(folder: Path) -> Path:
    """Every incident pages a webhook on a port nobody listens on: deliveries fail."""
    closed = free_port()
    path = folder / "tocsin.yaml"
    path.write_text(f"""
integrations:
  - {{name: prom, type: alertmanager, token: {TOKEN}}}
route: {{receiver: team, group_by: [alertname], group_wait: 0s}}
channels:
  hook: {{type: webhook, url: "http://127.0.0.1:{closed}/pages", timeout: 1s}}
escalation_policies:
  - name: team
    steps: [{{delay: 0s, notify: ["channel:hook"]}}]
""")
    return path


def write_prometheus_files(folder: Path, ports: dict[str, int]) -> Path:
    """The deploy config with loopback targets and 1s intervals; the rules this test makes
    fire get a 1s `for:`, the others keep theirs (so start-up blips do not fire them)."""
    rules = load_yaml(RULES)
    for group in rules["groups"]:
        for rule in group["rules"]:
            if rule["alert"] in SHORTENED and "for" in rule:
                rule["for"] = "1s"
    rules_path = folder / "tocsin-rules.yml"
    rules_path.write_text(yaml.safe_dump(rules, sort_keys=False))
    config = load_yaml(PROMETHEUS_CONFIG)
    config["global"].update(scrape_interval="1s", scrape_timeout="1s", evaluation_interval="1s")
    config["rule_files"] = [str(rules_path)]
    for job in config["scrape_configs"]:
        service = job["job_name"].removeprefix("tocsin-")
        assert job.pop("dns_sd_configs"), job["job_name"]  # compose's discovery, replaced
        job["static_configs"] = [{"targets": [f"127.0.0.1:{ports[service]}"]}]
    config_path = folder / "prometheus.yml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    return config_path


def wait_until(condition: Callable[[], Any], timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            result = condition()
            if result:
                return result
        time.sleep(0.25)
    raise AssertionError(f"not within {timeout_s}s: {what}")


@contextlib.contextmanager
def tocsin_services(config: Path, bootstrap: str, folder: Path) -> Iterator[dict[str, Any]]:
    """The three services as subprocesses, started together; yields name -> (process, port)."""
    env = {**os.environ, "TOCSIN_LOG_FORMAT": "json"}
    started: dict[str, Any] = {}
    try:
        for name in SERVICES:
            port = free_port()
            args = [name, "--config", str(config), "--kafka", bootstrap, "--port", str(port)]
            with (folder / f"{name}.log").open("ab") as sink:
                process = subprocess.Popen(
                    [sys.executable, "-m", "services.cli.main", *args],
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    env=env,
                )
            started[name] = (process, port)
        for name, (process, port) in started.items():
            log = folder / f"{name}.log"

            def ready(process: Any = process, port: int = port, log: Path = log) -> bool:
                assert process.poll() is None, f"{log.name} exited:\n{log.read_text()}"
                return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200

            wait_until(ready, 45, f"tocsin {name} ready")
        yield started
    finally:
        for process, _ in started.values():
            stop(process)


@contextlib.contextmanager
def prometheus(config: Path, folder: Path) -> Iterator[str]:
    binary = system_binary("prometheus", "prometheus")
    port = free_port()
    command = [
        binary,
        f"--config.file={config}",
        f"--storage.tsdb.path={folder / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    with (folder / "prometheus.log").open("ab") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: httpx.get(f"{base}/-/ready", timeout=1).status_code == 200, 30, base)
        yield base
    finally:
        stop(process)


def query(base: str, promql: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{base}/api/v1/query", params={"query": promql}, timeout=5).json()
    assert answer["status"] == "success", answer
    result: list[dict[str, Any]] = answer["data"]["result"]
    return result


def firing(base: str) -> list[dict[str, str]]:
    alerts = httpx.get(f"{base}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
    return [alert["labels"] for alert in alerts if alert["state"] == "firing"]


def wait_for_alert(base: str, alertname: str, **labels: str) -> dict[str, str]:
    def found() -> dict[str, str] | None:
        for alert in firing(base):
            if alert["alertname"] == alertname and labels.items() <= alert.items():
                return alert
        return None

    result: dict[str, str] = wait_until(found, 30, f"{alertname} {labels} firing")
    return result


def post(ingest_port: int, body: Any, token: str = TOKEN) -> httpx.Response:
    return httpx.post(
        f"http://127.0.0.1:{ingest_port}/api/v1/alerts/alertmanager",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


@pytest.mark.e2e
@pytest.mark.kafka
def test_prometheus_scrapes_tocsin_and_fires_its_health_alerts(tmp_path: Path) -> None:
    config = write_tocsin_config(tmp_path)
    with (
        kafka_bootstrap(tmp_path / "broker.log") as bootstrap,
        tocsin_services(config, bootstrap, tmp_path) as services,
    ):
        ports = {name: port for name, (_, port) in services.items()}
        prometheus_config = write_prometheus_files(tmp_path, ports)
        with prometheus(prometheus_config, tmp_path) as base:
            # Healthy: all three targets up, Tocsin's metrics stored, only the watchdog fires.
            wait_until(lambda: len(query(base, 'up{job=~"tocsin-.+"} == 1')) == 3, 20, "3 up")
            wait_for_alert(base, "TocsinWatchdog")
            assert [a["alertname"] for a in firing(base)] == ["TocsinWatchdog"]
            expected = {
                "tocsin_ingest_requests_in_flight",
                "tocsin_correlator_open_incidents",  # no sample while its state is rebuilt
                "tocsin_router_nobody_paged_total",
            }

            def stored() -> set[str]:
                return {r["metric"]["__name__"] for r in query(base, '{__name__=~"tocsin_.+"}')}

            names = wait_until(lambda: expected <= stored() and stored(), 20, str(expected))
            assert not [n for n in names if n.endswith("_created")]  # metric_relabel_configs
            for service in SERVICES:  # relabel_configs
                assert query(base, f'up{{job="tocsin-{service}", service="{service}"}}')

            # Senders misconfigured: a bad payload and an unknown token.
            assert post(ports["ingest"], {"alerts": "not a list"}).status_code == 422
            assert post(ports["ingest"], ALERT, token="wrong").status_code == 401
            # An alert whose page goes to a webhook nobody answers.
            assert post(ports["ingest"], ALERT).status_code == 202

            wait_for_alert(base, "TocsinIngestRejectingRequests", reason="invalid")
            wait_for_alert(base, "TocsinIngestRejectingRequests", reason="auth")
            wait_for_alert(
                base,
                "TocsinNotificationsFailing",
                job="tocsin-router",
                channel="hook",
                channel_kind="named",
                channel_type="webhook",
            )
            assert query(base, 'tocsin_ingest_alerts_accepted_total{integration="prom"} == 1')
            assert query(base, "tocsin_correlator_decisions_total > 0")

            # The router goes away.
            router_process, _ = services["router"]
            stop(router_process)
            wait_for_alert(base, "TocsinTargetDown", job="tocsin-router")
