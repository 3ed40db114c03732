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

    exposition = ingest.get("/metrics").text
    reasons = re.findall(
        r'^tocsin_ingest_requests_rejected_total\{[^}]*reason="([a-z_]+)"', exposition, re.M
    )
    assert reasons == ["disconnected"]
    assert set(reasons) <= set(REJECTION_REASONS)
    assert ingest.alerts() == []


def test_the_deploy_readme_lists_every_rejection_reason() -> None:
    row = next(
        line
        for line in DEPLOY_README.read_text(encoding="utf-8").splitlines()
        if line.startswith("| `tocsin_ingest_requests_rejected_total` |")
    )
    documented = re.findall(r"`([a-z_]+)`", row.split("requests refused:", 1)[1])

    assert [r for r in REJECTION_REASONS if r not in documented] == []
