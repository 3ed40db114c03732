"""`tocsin up` with the built-in demo config, as the README tells a new user to run it: a
posted alert pages the person on call over HTTP as signed webhook JSON and as a Slack Block
Kit message (both land in the demo inbox), and the acknowledge button of the Slack message
acknowledges the incident."""

from __future__ import annotations

import html
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.processes import tocsin_process

ALERT = {
    "version": "4",
    "status": "firing",
    "receiver": "tocsin",
    "groupKey": '{}:{alertname="PaymentsDown"}',
    "alerts": [
        {
            "status": "firing",
            "labels": {
                "alertname": "PaymentsDown",
                "service": "payments-api",
                "region": "eu-west",
                "severity": "critical",
            },
            "annotations": {"summary": "payments-api answers 503 to every request"},
            "startsAt": "2026-11-27T06:49:15Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph",
            "fingerprint": "0c7e1a5b9d2f4e63",
        }
    ],
}


def inbox(base: str, count: int, timeout_s: float = 30) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    while True:
        pages: list[dict[str, Any]] = httpx.get(f"{base}/demo/inbox", timeout=5).json()
        if len(pages) >= count or time.monotonic() > deadline:
            return pages
        time.sleep(0.2)


@pytest.mark.e2e
def test_demo_pages_the_person_on_call_by_webhook_and_slack_and_the_link_acknowledges(
    tmp_path: Path,
) -> None:
    with tocsin_process(["up", "--data", str(tmp_path / "data")], tmp_path / "up.log") as base:
        posted = httpx.post(
            f"{base}/api/v1/alerts/alertmanager",
            json=ALERT,
            headers={"Authorization": "Bearer demo-token"},
            timeout=10,
        )
        assert posted.status_code == 202, posted.text

        pages = inbox(base, 2)
        time.sleep(2)  # a page sent twice would have arrived by now
        pages = inbox(base, 2)
        assert sorted(p["format"] for p in pages) == ["slack", "webhook"], pages
        boxes = {p["box"] for p in pages}
        person = next(iter(boxes)).split("-")[0]
        assert person in ("alice", "bob")  # the weekly rotation of the `primary` schedule
        assert boxes == {f"{person}-webhook", f"{person}-slack"}

        webhook = next(p for p in pages if p["format"] == "webhook")
        assert webhook["headers"]["x-tocsin-signature"].startswith("v1=")
        incident = webhook["body"]["incident"]
        assert incident["title"].startswith("PaymentsDown")
        assert incident["affected_services"] == ["payments-api"]

        slack = next(p for p in pages if p["format"] == "slack")
        buttons = [
            element
            for block in slack["body"]["blocks"]
            if block["type"] == "actions"
            for element in block["elements"]
        ]
        acknowledge = next(b["url"] for b in buttons if "Acknowledge" in b["text"]["text"])
        assert acknowledge.startswith(f"{base}/api/v1/incidents/{incident['id']}/acknowledge/")

        confirm = httpx.get(acknowledge, timeout=10)
        assert confirm.status_code == 200
        action = re.search(r'<form method=post action="([^"]+)"', confirm.text)
        assert action is not None, confirm.text
        done = httpx.post(f"{base}{html.unescape(action.group(1))}", timeout=15)
        assert done.status_code == 200, done.text

        view = httpx.get(
            f"{base}/api/v1/incidents/{incident['id']}",
            headers={"Authorization": "Bearer demo-alice-token"},
            timeout=5,
        ).json()
        assert view["status"] == "acknowledged"
        assert view["acknowledged_by"] == f"{person} (link)"

        # The built-in config has no file to re-read: the reload endpoint says so, not 404.
        chatops = {"Authorization": "Bearer demo-chatops-token-0001"}
        reload = httpx.post(f"{base}/api/v1/rules/reload", headers=chatops, timeout=10)
        assert reload.status_code == 409, reload.text
        assert "--config" in reload.json()["message"]
        assert httpx.post(f"{base}/api/v1/rules/reload", timeout=10).status_code == 401
