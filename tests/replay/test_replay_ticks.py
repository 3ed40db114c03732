"""Time passes offline as it does live: ticks are fed when due, so grace periods and resolve
timeouts close incidents between alerts, and what comes later opens new ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from services.cli.config_bundle import load_tocsin_config
from services.cli.replay_input import OrderedInput
from services.cli.replay_run import Replay

CONFIG = """
integrations:
  - {name: prom, type: alertmanager, token: t1}
  - {name: json, type: canonical, token: t2, resolve_timeout: 5m}
correlation: {domain_labels: [region], resolve_grace: 5m}
route: {receiver: console, group_by: [alertname], group_wait: 0s}
channels: {console: {type: console}}
"""


def _webhook(status: str, instance: str, starts: str) -> dict[str, Any]:
    end = "0001-01-01T00:00:00Z" if status == "firing" else "2026-11-27T07:00:00Z"
    alert = {"status": status, "labels": {"alertname": "NodeDown", "instance": instance}}
    alert |= {"startsAt": starts, "endsAt": end}
    return {"version": "4", "status": status, "receiver": "r", "groupKey": "{}", "alerts": [alert]}


def _am(at: str, status: str, instance: str, starts: str) -> tuple[str, str, Any]:
    """An Alertmanager notification received at 2026-11-27T`at`Z."""
    return f"2026-11-27T{at}Z", "alertmanager", _webhook(status, instance, f"2026-11-27T{starts}Z")


def _replay(tmp_path: Path, lines: list[tuple[str, str, Any]]) -> list[dict[str, Any]]:
    (tmp_path / "tocsin.yaml").write_text(CONFIG)
    rows = [{"received_at": at, "source": source, "payload": body} for at, source, body in lines]
    (tmp_path / "in.jsonl").write_bytes(b"\n".join(orjson.dumps(row) for row in rows))
    with (tmp_path / "out.jsonl").open("wb") as output:
        Replay(load_tocsin_config(tmp_path / "tocsin.yaml")).run(
            OrderedInput(tmp_path / "in.jsonl"), output
        )
    return [orjson.loads(line) for line in (tmp_path / "out.jsonl").read_bytes().splitlines()]


def test_replay_incident_quiet_past_its_grace_is_resolved_before_the_next_alert(
    tmp_path: Path,
) -> None:
    out = _replay(
        tmp_path,
        [
            _am("06:00:00", "firing", "n1", "06:00:00"),
            _am("06:01:00", "firing", "n2", "06:01:00"),
            _am("06:02:00", "resolved", "n1", "06:00:00"),
            _am("06:03:00", "resolved", "n2", "06:01:00"),
            # 06:08 the grace ends; a tick resolves the incident before this alert:
            _am("06:10:00", "firing", "n1", "06:10:00"),
        ],
    )
    assert [row["decision"] for row in out] == [
        "opened",
        "grouped",
        "resolved",
        "resolved",
        "opened",
    ]
    assert out[4]["incident_id"] != out[0]["incident_id"]


def test_replay_alert_grouped_while_its_incident_is_within_grace(tmp_path: Path) -> None:
    out = _replay(
        tmp_path,
        [
            _am("06:00:00", "firing", "n1", "06:00:00"),
            _am("06:02:00", "resolved", "n1", "06:00:00"),
            _am("06:06:59", "firing", "n1", "06:06:00"),
        ],
    )
    assert [row["decision"] for row in out] == ["opened", "resolved", "grouped"]
    assert out[2]["incident_id"] == out[0]["incident_id"]


def test_replay_alert_not_re_sent_within_resolve_timeout_expires_by_tick(tmp_path: Path) -> None:
    alert = {
        "labels": {"alertname": "QueueStuck", "region": "eu"},
        "starts_at": "2026-11-27T06:00:00Z",
    }
    out = _replay(
        tmp_path,
        [
            ("2026-11-27T06:00:00Z", "canonical", alert),
            ("2026-11-27T06:04:00Z", "canonical", alert),  # re-sent: ends 06:09 now
            # 06:09 it expires, 06:14 the grace ends: a new incident at 06:20.
            ("2026-11-27T06:20:00Z", "canonical", alert),
        ],
    )
    assert [row["decision"] for row in out] == ["opened", "deduplicated", "opened"]
    assert out[2]["incident_id"] != out[0]["incident_id"]
