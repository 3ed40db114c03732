"""On `tocsin up`: the database alert that joins the web team's incident by topology (as its
probable cause) also pages the database team its own route names, once, on the incident
already open; the incident lists both receivers and says why in its timeline."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.support.processes import tocsin_process
from tests.support.receiver import PageReceiver

TOKEN = "e2e-canonical-token"
ADMIN = "e2e-admin-token-0001"


def write_config(folder: Path, webhook_url: str) -> Path:
    path = folder / "tocsin.yaml"
    path.write_text(f"""
integrations:
  - {{name: probes, type: canonical, token: {TOKEN}}}
route:
  receiver: web-oncall
  group_by: [alertname, service]
  group_wait: 0s
  routes:
    - {{matchers: ['team="db"'], receiver: db-oncall}}
topology:
  services:
    payments-api: {{depends_on: [postgres]}}
    postgres: {{}}
channels:
  web-hook: {{type: webhook, url: "{webhook_url}/web", secret: s3cret}}
  db-hook: {{type: webhook, url: "{webhook_url}/db", secret: s3cret}}
escalation_policies:
  - name: web-oncall
    steps: [{{delay: 0s, notify: ["channel:web-hook"]}}]
  - name: db-oncall
    steps: [{{delay: 0s, notify: ["channel:db-hook"]}}]
api:
  service_accounts:
    - {{name: e2e, token: {ADMIN}}}
""")
    return path


def post(base: str, alertname: str, service: str, team: str) -> None:
    body = {"labels": {"alertname": alertname, "service": service, "team": team}}
    answer = httpx.post(
        f"{base}/api/v1/alerts", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert answer.status_code == 202, answer.text


def get(base: str, path: str) -> dict[str, object]:
    answer = httpx.get(f"{base}{path}", headers={"Authorization": f"Bearer {ADMIN}"})
    assert answer.status_code == 200, answer.text
    found: dict[str, object] = answer.json()
    return found


@pytest.mark.e2e
def test_the_probable_cause_joining_by_topology_pages_its_own_team(
    tmp_path: Path, receiver: PageReceiver
) -> None:
    config = write_config(tmp_path, receiver.url)
    args = ["up", "--config", str(config), "--data", str(tmp_path / "data")]
    with tocsin_process(args, tmp_path / "up.log") as base:
        # Given the web team was paged for payments-api's errors
        post(base, "HighErrorRate", "payments-api", "web")
        [web] = receiver.wait_for(1, timeout_s=30)
        # When the database it depends on goes down
        post(base, "PostgresDown", "postgres", "db")

        # Then the database team is paged too, on the same incident, and nobody twice
        pages = receiver.wait_for(2, timeout_s=30)
        time.sleep(2)  # a page sent twice would have arrived by now
        assert [p.path for p in receiver.received] == ["/web", "/db"]
        incident_id = web.json()["incident"]["id"]
        assert pages[1].json()["incident"]["id"] == incident_id
        listed = get(base, "/api/v1/incidents")["incidents"]
        assert isinstance(listed, list) and len(listed) == 1
        incident = get(base, f"/api/v1/incidents/{incident_id}")
    assert incident["receivers"] == ["web-oncall", "db-oncall"]
    timeline = incident["timeline"]
    assert isinstance(timeline, list)
    [widened] = [e for e in timeline if e["kind"] == "EscalationWidened"]
    assert "db-oncall" in widened["summary"], widened
