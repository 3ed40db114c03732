"""A small alert storm posted from a background thread, for the fault tests."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

import httpx

TOKEN = "reliability-token"


def storm_config(webhook_url: str, *, fallback_url: str | None = None) -> str:
    """Group by alertname, page at once; with a fallback, step 2 pages it after 10 minutes."""
    fallback = ""
    if fallback_url:
        fallback = f'  fallback: {{type: webhook, url: "{fallback_url}/fallback"}}\n'
    steps = '      - {delay: 0s, notify: ["channel:hook"]}\n'
    if fallback_url:
        steps += '      - {delay: 10m, notify: ["channel:fallback"]}\n'
    return (
        f"integrations:\n  - {{name: storm, type: canonical, token: {TOKEN}}}\n"
        "route:\n  receiver: team\n  group_by: [alertname]\n  group_wait: 0s\n"
        f'channels:\n  hook: {{type: webhook, url: "{webhook_url}/pages"}}\n{fallback}'
        f"escalation_policies:\n  - name: team\n    steps:\n{steps}"
    )


def storm_alerts(problems: int, per_problem: int, seed: int) -> list[dict[str, object]]:
    alerts = [
        {
            "labels": {
                "alertname": f"Problem{p:03d}",
                "instance": f"node-{i}",
                "region": f"r{p % 3}",
                "severity": "critical",
            },
            "annotations": {"summary": f"problem {p} on node-{i}"},
        }
        for p in range(problems)
        for i in range(per_problem)
    ]
    random.Random(seed).shuffle(alerts)
    return alerts


@dataclass
class Storm:
    """Posts alerts one by one, retrying 503s like a well-behaved sender."""

    url: str
    alerts: list[dict[str, object]]
    duration_s: float
    accepted: list[dict[str, object]] = field(default_factory=list)
    thread: threading.Thread | None = None

    def start(self) -> Storm:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        pause = self.duration_s / max(len(self.alerts), 1)
        with httpx.Client(timeout=10) as client:
            for alert in self.alerts:
                self._post(client, alert)
                time.sleep(pause)

    def _post(self, client: httpx.Client, alert: dict[str, object]) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                answer = client.post(
                    f"{self.url}/api/v1/alerts",
                    json=alert,
                    headers={"Authorization": f"Bearer {TOKEN}"},
                )
            except httpx.HTTPError:
                time.sleep(0.2)
                continue
            if answer.status_code == 202:
                self.accepted.append(alert)
                return
            assert answer.status_code == 503, answer.text
            time.sleep(0.2)

    def join(self, timeout_s: float) -> None:
        assert self.thread is not None
        self.thread.join(timeout_s)
