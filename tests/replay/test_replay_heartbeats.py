"""Heartbeats are replayed: check-ins posted to a heartbeat's endpoint (the export's `heartbeat`
lines) and watchdog alerts are fed to the engine as ingest feeds them live, so a heartbeat goes
missing offline exactly where it went missing live, and only there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from services.cli.config_bundle import load_tocsin_config
from services.cli.replay_input import OrderedInput
from services.cli.replay_parallel import normalized_by_workers
from services.cli.replay_run import Replay
from services.cli.replay_tally import ReplayTally, summary_lines

CONFIG = """
integrations:
  - {name: prom, type: alertmanager, token: t1}
correlation: {domain_labels: [region], resolve_grace: 1m}
heartbeats:
  - {name: backup, interval: 10m, token: hb1, labels: {region: eu-west}}
  - {name: prometheus, interval: 5m, labels: {region: eu-west}, watchdog: 'alertname=Watchdog'}
route: {receiver: console, group_by: [alertname], group_wait: 0s}
channels: {console: {type: console}}
"""
Line = tuple[str, str, Any]


def _check_in(at: str, name: str = "backup") -> Line:
    return f"2026-11-27T{at}Z", "heartbeat", {"name": name}


def _am(at: str, alertname: str, region: str = "eu-west") -> Line:
    alert = {
        "status": "firing",
        "labels": {"alertname": alertname, "region": region},
        "startsAt": f"2026-11-27T{at}Z",
        "endsAt": "0001-01-01T00:00:00Z",
    }
    body = {"version": "4", "status": "firing", "receiver": "r", "alerts": [alert]}
    return f"2026-11-27T{at}Z", "alertmanager", body


def _replay(tmp_path: Path, lines: list[Line]) -> tuple[ReplayTally, list[dict[str, Any]]]:
    (tmp_path / "tocsin.yaml").write_text(CONFIG)
    rows = [{"received_at": at, "source": source, "payload": body} for at, source, body in lines]
    (tmp_path / "in.jsonl").write_bytes(b"\n".join(orjson.dumps(row) for row in rows))
    with (tmp_path / "out.jsonl").open("wb") as output:
        tally = Replay(load_tocsin_config(tmp_path / "tocsin.yaml")).run(
            OrderedInput(tmp_path / "in.jsonl"), output
        )
    out = [orjson.loads(line) for line in (tmp_path / "out.jsonl").read_bytes().splitlines()]
    return tally, out


def test_a_heartbeat_checking_in_on_time_is_never_missed(tmp_path: Path) -> None:
    lines = [_check_in(f"06:{minute:02}:00") for minute in range(0, 60, 9)]
    tally, out = _replay(tmp_path, [*lines, _am("07:00:00", "HighErrorRate")])

    assert tally.check_ins == 7
    assert tally.incidents == 1 and tally.heartbeats_missed == 0
    assert [row["decision"] for row in out] == ["opened"]
    summary = summary_lines(tally)
    assert "heartbeat check-ins               7" in summary
    assert "heartbeats missed                 0" in summary


def test_a_heartbeat_silent_past_its_interval_opens_its_incident(tmp_path: Path) -> None:
    tally, out = _replay(
        tmp_path,
        # Silent from 06:05: missed at 06:15, before the alert of 06:30 is replayed.
        [_check_in("06:00:00"), _check_in("06:05:00"), _am("06:30:00", "HighErrorRate")],
    )

    assert tally.check_ins == 2
    assert tally.incidents == 2 and tally.heartbeats_missed == 1
    assert [row["decision"] for row in out] == ["opened"]  # the heartbeat's has no line


def test_a_heartbeat_that_never_checked_in_is_never_missed(tmp_path: Path) -> None:
    tally, _ = _replay(tmp_path, [_am("06:00:00", "HighErrorRate"), _am("08:00:00", "DiskFull")])

    assert tally.check_ins == 0 and tally.heartbeats_missed == 0


def test_watchdog_alerts_are_check_ins_and_no_alerts(tmp_path: Path) -> None:
    regular = [_am(f"06:{minute:02}:00", "Watchdog") for minute in range(0, 20, 4)]
    tally, out = _replay(tmp_path, [*regular, _am("06:40:00", "HighErrorRate")])

    assert tally.check_ins == 5
    assert tally.skipped["watchdog check-in (alerts)"] == 5
    # Silent from 06:16: missed at 06:21, before the alert of 06:40.
    assert tally.heartbeats_missed == 1
    assert [row["decision"] for row in out] == ["opened"]


def test_a_check_in_of_a_heartbeat_the_config_lacks_is_skipped(tmp_path: Path) -> None:
    tally, _ = _replay(tmp_path, [_check_in("06:00:00", "nightly"), _check_in("06:01:00")])

    assert tally.check_ins == 1
    assert tally.skipped["check-in of a heartbeat the config does not have"] == 1


def test_normalizing_workers_feed_the_same_check_ins(tmp_path: Path) -> None:
    lines = [_check_in("06:00:00"), _check_in("06:05:00"), _am("06:30:00", "HighErrorRate")]
    lines += [_am(f"06:{minute:02}:00", "Watchdog") for minute in range(31, 40)]
    _replay(tmp_path, lines)  # writes the config and the input
    config = load_tocsin_config(tmp_path / "tocsin.yaml")
    payloads = OrderedInput(tmp_path / "in.jsonl")

    tally = Replay(config).run_normalized(
        normalized_by_workers(payloads, tmp_path / "tocsin.yaml", 2), None
    )

    assert (tally.check_ins, tally.heartbeats_missed, tally.incidents) == (11, 1, 2)
