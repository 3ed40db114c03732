"""Posting one firing alert the way Alertmanager's webhook does, for tests of a running Tocsin,
and the config such tests run it with."""

from __future__ import annotations

from pathlib import Path

import httpx


def post_firing_alert(
    base: str, token: str, labels: dict[str, str], summary: str, **annotations: str
) -> None:
    """POST a version-4 webhook with one firing alert; asserts it was accepted (202)."""
    alert = {
        "status": "firing",
        "labels": labels,
        "annotations": {"summary": summary, **annotations},
        "startsAt": "2026-11-27T06:49:15Z",
        "endsAt": "0001-01-01T00:00:00Z",
    }
    body = {"version": "4", "status": "firing", "receiver": "tocsin", "alerts": [alert]}
    answer = httpx.post(
        f"{base}/api/v1/alerts/alertmanager",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answer.status_code == 202, answer.text


def webhook_config(folder: Path, token: str, receiver_url: str, extra: str = "") -> Path:
    """`folder/tocsin.yaml`: one Alertmanager integration (`token`), every alert its own
    incident at once (`group_wait: 0s`), paged to `receiver_url/pages` by a webhook channel;
    `extra` is appended as it is (more YAML sections)."""
    path = folder / "tocsin.yaml"
    path.write_text(f"""
integrations:
  - {{name: prom, type: alertmanager, token: {token}}}
route:
  receiver: team
  group_by: [alertname]
  group_wait: 0s
channels:
  hook: {{type: webhook, url: "{receiver_url}/pages"}}
escalation_policies:
  - name: team
    steps:
      - {{delay: 0s, notify: ["channel:hook"]}}
{extra}""")
    return path
