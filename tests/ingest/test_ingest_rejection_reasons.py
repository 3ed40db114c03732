"""Every reason ingest refuses a request for is one of the metric's fixed, documented set."""

from __future__ import annotations

import re
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import pytest

from services.ingest.metrics import REJECTION_REASONS
from tests.ingest.harness import AM_TOKEN, Ingest, running_ingest

DEPLOY_README = Path(__file__).resolve().parents[2] / "deploy" / "README.md"


@pytest.fixture
def ingest(tmp_path: Path) -> Iterator[Ingest]:
    with running_ingest(tmp_path) as running:
        yield running


async def _post_then_disconnect(ingest: Ingest) -> None:
    """An Alertmanager post whose client goes away after the first chunk of its body."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/alerts/alertmanager",
        "raw_path": b"/api/v1/alerts/alertmanager",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"ingest.test"),
            (b"authorization", f"Bearer {AM_TOKEN}".encode()),
            (b"content-type", b"application/json"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("ingest.test", 80),
    }
    messages: list[MutableMapping[str, Any]] = [
        {"type": "http.request", "body": b'{"version": "4", "alerts": [', "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> MutableMapping[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        return None

    await ingest.app(scope, receive, send)


def test_a_client_gone_mid_body_is_counted_under_a_documented_reason(ingest: Ingest) -> None:
    ingest.portal.call(_post_then_disconnect, ingest)

    reasons = [labels["reason"] for labels, value in rejected(ingest) if value > 0]
    assert reasons == ["disconnected"]
    assert set(reasons) <= set(REJECTION_REASONS)
    assert ingest.alerts() == []


def rejected(ingest: Ingest) -> list[tuple[dict[str, str], float]]:
    """The rejection counter's series: (labels, value)."""
    found = re.findall(
        r"^tocsin_ingest_requests_rejected_total\{([^}]*)\} (\S+)$",
        ingest.get("/metrics").text,
        re.M,
    )
    return [(dict(re.findall(r'(\w+)="([^"]*)"', labels)), float(v)) for labels, v in found]


def test_every_configured_sender_has_its_rejection_series_from_the_start(ingest: Ingest) -> None:
    # An alert on their increase then sees the first rejection after a restart, which a
    # series made at its first rejection (back at its old value) would hide.
    series = {(s["source"], s["integration"], s["reason"]): v for s, v in rejected(ingest)}

    assert all(value == 0 for value in series.values())
    for reason in REJECTION_REASONS:
        assert ("alertmanager", "prom", reason) in series
        assert ("alertmanager", "unknown", reason) in series
        assert ("opsgenie", "genie-off", reason) in series
        assert ("heartbeat", "unknown", reason) in series


def test_the_deploy_readme_lists_every_rejection_reason() -> None:
    row = next(
        line
        for line in DEPLOY_README.read_text(encoding="utf-8").splitlines()
        if line.startswith("| `tocsin_ingest_requests_rejected_total` |")
    )
    documented = re.findall(r"`([a-z_]+)`", row.split("requests refused:", 1)[1])

    assert [r for r in REJECTION_REASONS if r not in documented] == []
