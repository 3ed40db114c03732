"""Replaying the export of a live `tocsin up` gives its decisions for key-identified sources
too: a PagerDuty trigger without `dedup_key` resolved with the key Tocsin returned, and
Opsgenie closes and acknowledgements that name their alert only in the URL."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from services.ingest.normalizers.opsgenie import default_alias, opsgenie_fingerprint
from tests.replay.replay_live import (
    live_decisions,
    replayed_decisions,
    tocsin,
    tocsin_up,
    wait_caught_up,
)

pytestmark = pytest.mark.e2e

ROUTING_KEY = "0123456789abcdef0123456789abcdef"
GENIE_KEY = "genie-replay-key"
CONFIG = f"""
integrations:
  - {{name: pd, type: pagerduty, token: {ROUTING_KEY}, default_labels: {{region: eu-west}}}}
  - {{name: genie, type: opsgenie, token: {GENIE_KEY}, default_labels: {{region: eu-west}}}}
correlation:
  domain_labels: [region]
  resolve_grace: 1s
route:
  receiver: console
  group_wait: 0s
channels:
  console: {{type: console}}
"""
TRIGGER = {
    "routing_key": ROUTING_KEY,
    "event_action": "trigger",
    "payload": {"summary": "Disk full on db-1", "source": "db-1", "severity": "critical"},
}
BACKLOG = "Queue backlog above 10k"


def _post(base: str, path: str, body: Any = None, genie: bool = False) -> dict[str, Any]:
    headers = {"Authorization": f"GenieKey {GENIE_KEY}"} if genie else {}
    content = b"" if body is None else orjson.dumps(body)
    answer = httpx.post(f"{base}{path}", content=content, headers=headers, timeout=10)
    assert answer.status_code == 202, answer.text
    found: dict[str, Any] = answer.json()
    return found


def _live_run(base: str) -> str:
    """The stream: returns the dedup_key the PagerDuty trigger got."""
    dedup_key = str(_post(base, "/v2/enqueue", TRIGGER)["dedup_key"])
    _post(base, "/v2/alerts", {"message": "Checkout errors", "alias": "checkout"}, genie=True)
    _post(base, "/v2/alerts", {"message": BACKLOG}, genie=True)
    backlog_id = opsgenie_fingerprint("genie", default_alias({"message": BACKLOG}))
    _post(base, f"/v2/alerts/{backlog_id}/acknowledge", {"user": "alice"}, genie=True)
    resolve = {"routing_key": ROUTING_KEY, "event_action": "resolve", "dedup_key": dedup_key}
    _post(base, "/v2/enqueue", resolve)
    _post(base, "/v2/alerts/checkout/close?identifierType=alias", {"user": "bob"}, genie=True)
    _post(base, f"/v2/alerts/{backlog_id}/close", genie=True)
    return dedup_key


def test_replay_of_export_resolves_pagerduty_and_opsgenie_alerts_as_the_live_run_did(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, data = tmp_path / "tocsin.yaml", tmp_path / "data"
    config.write_text(CONFIG)
    with tocsin_up(data, config, tmp_path / "tocsin.log") as (_, base):
        dedup_key = _live_run(base)
        wait_caught_up(data)
    live = live_decisions(data)
    exported, output = tmp_path / "alerts.jsonl", tmp_path / "decisions.jsonl"

    tocsin("export", "--config", str(config), "--data", str(data), "--output", str(exported))
    tocsin("replay", "--config", str(config), "--input", str(exported), "--output", str(output))

    assert re.fullmatch("[0-9a-f]{32}", dedup_key)
    assert [decision for _, _, decision in live].count("resolved") == 3
    assert replayed_decisions(output) == live
    assert "opsgenie close or acknowledge" not in capsys.readouterr().out
    lines = [orjson.loads(line) for line in exported.read_bytes().splitlines()]
    assert lines[-2]["payload"] == {"user": "bob"}
    assert lines[-2]["request"] == {
        "action": "close",
        "identifier": "checkout",
        "identifier_type": "alias",
    }
    assert lines[-1]["payload"] is None
    assert "request" not in lines[0]
