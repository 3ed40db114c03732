"""Secrets named as `${NAME}` in the config are read from each process's environment: `tocsin
up` accepts the ingest token, pages the webhook URL and answers the API token the environment
gives, and its log holds the references, never the secrets."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_walking_skeleton import ALERT
from tests.support.processes import tocsin_process
from tests.support.receiver import PageReceiver

SECRETS = {
    "E2E_INGEST_TOKEN": "ingest-secret-5f0c2a",
    "E2E_HOOK_SECRET": "hmac-secret-77d1e9",
    "E2E_API_TOKEN": "api-secret-token-0042",
}
CONFIG = """
integrations:
  - name: prom
    type: alertmanager
    token: ${E2E_INGEST_TOKEN}
route: {receiver: team, group_by: [alertname], group_wait: 0s}
channels:
  hook: {type: webhook, url: "${E2E_HOOK_URL}", secret: "${E2E_HOOK_SECRET}"}
escalation_policies:
  - name: team
    steps: [{delay: 0s, notify: ["channel:hook"]}]
api:
  service_accounts: [{name: chatops, token: "${E2E_API_TOKEN}"}]
"""


@pytest.mark.e2e
def test_secrets_come_from_the_environment_and_never_reach_the_log(
    tmp_path: Path, receiver: PageReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook_url = f"{receiver.url}/pages/9f3e-not-on-the-log"
    for name, value in {**SECRETS, "E2E_HOOK_URL": hook_url}.items():
        monkeypatch.setenv(name, value)  # `tocsin up` inherits this process's environment
    config = tmp_path / "tocsin.yaml"
    config.write_text(CONFIG)
    data = tmp_path / "data"
    args = ["up", "--config", str(config), "--data", str(data)]
    with tocsin_process(args, tmp_path / "up.log") as base:
        assert _post(base, "${E2E_INGEST_TOKEN}").status_code == 401  # no token itself
        accepted = _post(base, SECRETS["E2E_INGEST_TOKEN"])
        assert accepted.status_code == 202, accepted.text
        [page] = receiver.wait_for(1, timeout_s=30)
        assert page.path == "/pages/9f3e-not-on-the-log"
        bearer = {"Authorization": f"Bearer {SECRETS['E2E_API_TOKEN']}"}
        listed = _incidents(base, bearer)
        assert len(listed) == 1

    stored = b"".join(path.read_bytes() for path in data.rglob("*") if path.is_file())
    pins = _pins(data / "tocsin.sqlite")
    assert {"tocsin.alerts", "tocsin.incidents"} <= set(pins)  # the correlator's and router's
    assert all(text == CONFIG for text in pins.values())  # the file as written, references too
    for secret in [*SECRETS.values(), "9f3e-not-on-the-log"]:
        assert secret.encode() not in stored, secret


def _post(base: str, token: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.post(f"{base}/api/v1/alerts/alertmanager", json=ALERT, headers=headers, timeout=10)


def _incidents(base: str, headers: dict[str, str]) -> list[object]:
    """The incidents the API lists, once the read model has the one the alert opened."""
    deadline = time.monotonic() + 30
    while True:
        answer = httpx.get(f"{base}/api/v1/incidents", headers=headers, timeout=10)
        assert answer.status_code == 200, answer.text
        listed: list[object] = answer.json()["incidents"]
        if listed or time.monotonic() > deadline:
            return listed
        time.sleep(0.2)


def _pins(log: Path) -> dict[str, str]:
    """The config text each topic's rule set activations carry (the correlator's, the
    router's and the dispatcher's inputs)."""
    with contextlib.closing(sqlite3.connect(log)) as connection:
        rows = connection.execute(
            "SELECT topic, value FROM records WHERE topic IN (?, ?, ?)",
            ("tocsin.alerts", "tocsin.incidents", "tocsin.notifications"),
        ).fetchall()
    pins: dict[str, str] = {}
    for topic, value in rows:
        record = json.loads(value)
        if record.get("type") == "RulesetActivated":
            pins[topic] = record["payload"]["config"]
    return pins
