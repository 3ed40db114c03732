"""Posting one firing alert the way Alertmanager's webhook does, for tests of a running Tocsin."""

from __future__ import annotations

import httpx


def post_firing_alert(base: str, token: str, labels: dict[str, str], summary: str) -> None:
    """POST a version-4 webhook with one firing alert; asserts it was accepted (202)."""
    alert = {
        "status": "firing",
        "labels": labels,
        "annotations": {"summary": summary},
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
