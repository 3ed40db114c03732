"""`tocsin up`, then the config edited and `POST /api/v1/rules/reload`: the next incident is
paged to whom the new config says — a user the reload adds, at the webhook it gives them, too —
and a config `tocsin rules check` refuses changes nothing."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.support.brokers import kafka_bootstrap
from tests.support.processes import tocsin_process
from tests.support.receiver import PageReceiver

TOKEN = "e2e-alertmanager-token"
OPS = {"Authorization": "Bearer e2e-ops-service-token"}


def write_config(
    path: Path,
    webhook_url: str,
    *,
    paged: str,
    receiver: str = "oncall",
    carol: bool = False,
    backup: str = "bob",
) -> None:
    """`paged`: whom the `oncall` policy pages, `backup`: whom the `backup` policy pages;
    `carol`: with a third user, carol, and her webhook contact."""
    webhook = f'type: webhook, url: "{webhook_url}/carol", secret: s3cret'
    third = f"\n  - {{name: carol, contacts: [{{{webhook}}}]}}" if carol else ""
    path.write_text(f"""
integrations:
  - {{name: prom, type: alertmanager, token: {TOKEN}}}
api:
  service_accounts: [{{name: ops, token: e2e-ops-service-token}}]
route:
  receiver: {receiver}
  group_by: [alertname]
  group_wait: 0s
users:
  - {{name: alice, contacts: [{{type: webhook, url: "{webhook_url}/alice", secret: s3cret}}]}}
  - {{name: bob, contacts: [{{type: webhook, url: "{webhook_url}/bob", secret: s3cret}}]}}{third}
escalation_policies:
  - name: oncall
    steps:
      - {{delay: 0s, notify: ["user:{paged}"]}}
  - name: backup
    steps:
      - {{delay: 0s, notify: ["user:{backup}"]}}
""")


def firing(alertname: str) -> dict[str, object]:
    return {
        "version": "4",
        "status": "firing",
        "receiver": "tocsin",
        "groupKey": f'{{}}:{{alertname="{alertname}"}}',
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": alertname, "instance": "node-7", "severity": "critical"},
                "annotations": {},
                "startsAt": "2026-11-27T06:49:15Z",
                "endsAt": "0001-01-01T00:00:00Z",
            }
        ],
    }


def post_alert(base: str, alertname: str) -> None:
    answer = httpx.post(
        f"{base}/api/v1/alerts/alertmanager",
        json=firing(alertname),
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )
    assert answer.status_code == 202, answer.text


@pytest.mark.e2e
def test_after_a_reload_the_next_incident_is_paged_to_the_new_target(
    tmp_path: Path, receiver: PageReceiver
) -> None:
    config = tmp_path / "tocsin.yaml"
    write_config(config, receiver.url, paged="alice")
    args = ["up", "--config", str(config), "--data", str(tmp_path / "data")]
    with tocsin_process(args, tmp_path / "up.log") as base:
        post_alert(base, "NodeDown")
        [first] = receiver.wait_for(1, timeout_s=30)

        write_config(config, receiver.url, paged="alice", receiver="nowhere")
        refused = httpx.post(f"{base}/api/v1/rules/reload", headers=OPS, timeout=10)

        write_config(config, receiver.url, paged="bob")
        reloaded = httpx.post(f"{base}/api/v1/rules/reload", headers=OPS, timeout=10)
        post_alert(base, "DiskFull")
        receiver.wait_for(2, timeout_s=30)

        # carol and her webhook are new: the dispatcher knows her address from the reload on
        write_config(config, receiver.url, paged="carol", carol=True)
        added = httpx.post(f"{base}/api/v1/rules/reload", headers=OPS, timeout=10)
        post_alert(base, "MemoryFull")
        pages = receiver.wait_for(3, timeout_s=30)

    assert first.path == "/alice"
    assert refused.status_code == 422
    assert refused.json() == {
        "status": "error",
        "message": f"{config}:7: route.receiver: undefined receiver 'nowhere' used in route",
    }
    assert reloaded.status_code == 202, reloaded.text
    assert added.status_code == 202, added.text
    assert [page.path for page in pages] == ["/alice", "/bob", "/carol"]
    assert "DiskFull" in pages[1].body.decode()
    assert "MemoryFull" in pages[2].body.decode()


@pytest.mark.e2e
def test_after_a_restart_with_an_edited_config_the_first_alert_follows_the_new_config(
    tmp_path: Path, receiver: PageReceiver
) -> None:
    """The config file is pinned on the log when a partition is recovered, before its next
    input: the first alert posted after the restart is routed (correlator: to `backup`) and
    paged (router: the new config's `backup` policy) by the edited file, not by the config the
    log ran before (the correlator's `oncall` pages alice in both)."""
    config = tmp_path / "tocsin.yaml"
    args = ["up", "--config", str(config), "--data", str(tmp_path / "data")]
    write_config(config, receiver.url, paged="alice")
    with tocsin_process(args, tmp_path / "up.log") as base:
        post_alert(base, "NodeDown")
        receiver.wait_for(1, timeout_s=30)

    write_config(config, receiver.url, paged="alice", receiver="backup")
    with tocsin_process(args, tmp_path / "up.log") as base:
        wait_until_rules_applied(base)
        post_alert(base, "DiskFull")
        pages = receiver.wait_for(2, timeout_s=30)

    assert [page.path for page in pages] == ["/alice", "/bob"]
    assert "DiskFull" in pages[1].body.decode()


def wait_until_rules_applied(base: str) -> None:
    """Until the restarted correlator has taken the file's rule set from its log (a metric of
    this process: it counts from zero at each start)."""
    applied = 'tocsin_correlator_decisions_total{decision="ruleset_applied"}'
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        metrics = httpx.get(f"{base}/metrics", timeout=10).text
        lines = metrics.splitlines()
        if any(line.startswith(applied) and float(line.split()[-1]) >= 1 for line in lines):
            return
        time.sleep(0.1)
    raise AssertionError("the restarted correlator never applied the edited rule set")


@pytest.mark.e2e
@pytest.mark.kafka
def test_on_kafka_a_reload_posted_to_the_correlator_reaches_the_router_and_dispatcher(
    tmp_path: Path, receiver: PageReceiver
) -> None:
    config = tmp_path / "tocsin.yaml"
    write_config(config, receiver.url, paged="alice")
    with kafka_bootstrap(tmp_path / "broker.log") as bootstrap:
        common = ["--config", str(config), "--kafka", bootstrap]
        with (
            tocsin_process(["ingest", *common], tmp_path / "ingest.log") as ingest,
            tocsin_process(["correlator", *common], tmp_path / "correlator.log") as correlator,
            tocsin_process(["router", *common], tmp_path / "router.log"),
        ):
            post_alert(ingest, "NodeDown")
            receiver.wait_for(1, timeout_s=60)

            write_config(config, receiver.url, paged="carol", carol=True)
            reloaded = httpx.post(f"{correlator}/api/v1/rules/reload", headers=OPS, timeout=10)
            post_alert(ingest, "DiskFull")
            pages = receiver.wait_for(2, timeout_s=60)

    assert reloaded.status_code == 202, reloaded.text
    assert [page.path for page in pages] == ["/alice", "/carol"]
    assert "DiskFull" in pages[1].body.decode()
