"""What `tocsin replay` says per notification and in its summary, on hand-built inputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from services.cli.main import main

CONFIG = """
integrations:
  - {name: prom, type: alertmanager, token: t1}
correlation: {domain_labels: [region], resolve_grace: 5m}
route: {receiver: console, group_by: [alertname], group_wait: 30s}
inhibit_rules:
  - source_matchers: ['alertname="NodeDown"']
    target_matchers: ['severity="warning"']
    equal: [instance]
channels: {console: {type: console}}
"""


def _am(at: str, status: str, labels: dict[str, str], starts: str) -> dict[str, Any]:
    """An Alertmanager notification received at 2026-11-27T`at`Z."""
    end = "0001-01-01T00:00:00Z" if status == "firing" else f"2026-11-27T{at}Z"
    alert = {"status": status, "labels": labels, "annotations": {}}
    alert |= {"startsAt": f"2026-11-27T{starts}Z", "endsAt": end}
    body = {"version": "4", "status": status, "receiver": "r", "groupKey": "{}"}
    body["alerts"] = [alert]
    return {"received_at": f"2026-11-27T{at}Z", "source": "alertmanager", "payload": body}


def _replay(
    tmp_path: Path,
    rows: list[dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
    *extra: str,
    config: str = CONFIG,
) -> tuple[list[dict[str, Any]], str]:
    (tmp_path / "tocsin.yaml").write_text(config)
    (tmp_path / "in.jsonl").write_bytes(b"\n".join(orjson.dumps(row) for row in rows))
    args = ["replay", "--config", str(tmp_path / "tocsin.yaml"), "--jobs", "0", *extra]
    args += ["--input", str(tmp_path / "in.jsonl"), "--output", str(tmp_path / "out.jsonl")]
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 0
    lines = (tmp_path / "out.jsonl").read_bytes().splitlines()
    return [orjson.loads(line) for line in lines], capsys.readouterr().out


NODE = {"alertname": "NodeDown", "instance": "a", "severity": "critical"}
DISK = {"alertname": "DiskFull", "instance": "a", "severity": "warning"}


def test_firing_notification_with_a_later_start_is_reported_firing_again_not_resolved(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flap = {"alertname": "LinkFlap", "instance": "sw1"}
    out, summary = _replay(
        tmp_path,
        [_am("06:00:00", "firing", flap, "06:00:00"), _am("06:02:00", "firing", flap, "06:01:30")],
        capsys,
    )
    assert [row["decision"] for row in out] == ["opened", "grouped"]
    assert out[1]["incident_id"] == out[0]["incident_id"]
    assert out[1]["reason"] == (
        "LinkFlap was sent firing with a later start (2026-11-27T06:01:30+00:00, was"
        " 2026-11-27T06:00:00+00:00): it resolved at the source in between; then LinkFlap"
        f" fired again while {out[0]['incident_id']} is open"
    )
    assert "decisions                grouped 1, opened 1\n" in summary


def test_symptom_still_firing_when_its_source_resolves_is_paged_in_an_incident_of_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, summary = _replay(
        tmp_path,
        [
            _am("06:00:00", "firing", NODE, "06:00:00"),
            _am("06:01:00", "firing", DISK, "06:01:00"),
            _am("06:03:00", "resolved", NODE, "06:00:00"),
            _am("06:04:00", "firing", DISK, "06:01:00"),
        ],
        capsys,
    )
    assert [row["decision"] for row in out] == [
        "opened",
        "inhibited",
        "resolved",
        "deduplicated",
    ]
    assert out[1]["incident_id"] == out[0]["incident_id"]
    assert out[3]["incident_id"] != out[0]["incident_id"]
    assert "incidents                         2\n" in summary


def test_skipped_payload_is_named_by_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = {"received_at": "2026-11-27T06:00:30Z", "source": "alertmanager"}
    broken["payload"] = {"alerts": "not a list"}
    _, summary = _replay(
        tmp_path, [_am("06:00:00", "firing", NODE, "06:00:00"), broken, broken], capsys
    )
    first = f"(first: {tmp_path}/in.jsonl:2)"
    assert summary.endswith(
        f"payloads skipped\n           2  invalid alertmanager payload {first}\n"
    )


def test_incident_a_symptom_opens_when_its_source_expires_at_a_tick_is_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    node = _am("06:00:00", "firing", NODE, "06:00:00")
    node["payload"]["alerts"][0]["endsAt"] = "2026-11-27T06:02:00Z"  # not re-sent: it expires
    out, summary = _replay(
        tmp_path,
        [
            node,
            _am("06:01:00", "firing", DISK, "06:01:00"),
            _am("06:04:00", "firing", DISK, "06:01:00"),
        ],
        capsys,
    )
    assert [row["decision"] for row in out] == ["opened", "inhibited", "deduplicated"]
    assert out[2]["incident_id"] != out[0]["incident_id"]  # released at 06:02 by a tick
    assert "incidents                         2\n" in summary
    assert "incidents per rule\n           2  route 0 (route)\n" in summary


def test_until_runs_time_on_after_the_last_payload_so_timers_decide_as_they_did_live(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a symptom muted by a source that expires at 06:02, after the last payload (06:01)
    node = _am("06:00:00", "firing", NODE, "06:00:00")
    node["payload"]["alerts"][0]["endsAt"] = "2026-11-27T06:02:00Z"
    rows = [node, _am("06:01:00", "firing", DISK, "06:01:00")]

    _, without = _replay(tmp_path, rows, capsys)
    _, until = _replay(tmp_path, rows, capsys, "--until", "2026-11-27T06:10:00Z")

    # Then only with --until is it released at 06:02, opening its own incident, as live
    assert "incidents                         1\n" in without
    assert "incidents                         2\n" in until


def test_an_until_before_the_last_payload_is_refused_and_the_output_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        _am("06:00:00", "firing", NODE, "06:00:00"),
        _am("06:05:00", "firing", DISK, "06:05:00"),
    ]
    (tmp_path / "tocsin.yaml").write_text(CONFIG)
    (tmp_path / "in.jsonl").write_bytes(b"\n".join(orjson.dumps(row) for row in rows))
    (tmp_path / "out.jsonl").write_text("kept\n")
    args = ["replay", "--config", str(tmp_path / "tocsin.yaml"), "--until", "2026-11-27T06:01Z"]
    args += ["--input", str(tmp_path / "in.jsonl"), "--output", str(tmp_path / "out.jsonl")]
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 1
    assert "before the input's last payload (2026-11-27T06:05:00+00:00)" in capsys.readouterr().err
    assert (tmp_path / "out.jsonl").read_text() == "kept\n"


def _run(tmp_path: Path, input_name: str, output_name: str) -> int:
    (tmp_path / "tocsin.yaml").write_text(CONFIG)
    args = ["replay", "--config", str(tmp_path / "tocsin.yaml"), "--jobs", "0"]
    args += ["--input", str(tmp_path / input_name), "--output", str(tmp_path / output_name)]
    with pytest.raises(SystemExit) as exited:
        main(args)
    return int(exited.value.code or 0)


def test_output_naming_the_input_is_replayed_from_the_whole_input(tmp_path: Path) -> None:
    rows = [
        _am("06:00:00", "firing", NODE, "06:00:00"),
        _am("06:01:00", "firing", DISK, "06:01:00"),
    ]
    (tmp_path / "in.jsonl").write_bytes(b"\n".join(orjson.dumps(row) for row in rows))
    assert _run(tmp_path, "in.jsonl", "out.jsonl") == 0

    assert _run(tmp_path, "in.jsonl", "in.jsonl") == 0

    assert (tmp_path / "in.jsonl").read_bytes() == (tmp_path / "out.jsonl").read_bytes()


def test_replay_stopped_by_a_broken_line_writes_no_output(tmp_path: Path) -> None:
    good = orjson.dumps(_am("06:00:00", "firing", NODE, "06:00:00"))
    (tmp_path / "in.jsonl").write_bytes(good + b"\n" + good[:60])  # an export cut short
    (tmp_path / "out.jsonl").write_bytes(b"earlier output\n")

    assert _run(tmp_path, "in.jsonl", "out.jsonl") == 1

    assert (tmp_path / "out.jsonl").read_bytes() == b"earlier output\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "in.jsonl",
        "out.jsonl",
        "tocsin.yaml",
    ]


PAGERDUTY = """
integrations:
  - {name: pd, type: pagerduty, token: e93facc04764012d7bfb002500d5d1a6}
  - {name: prom, type: alertmanager, token: t1}
route: {receiver: console, group_by: [alertname], group_wait: 30s}
channels: {console: {type: console}}
"""


def test_repeats_of_a_pagerduty_trigger_are_one_alert_occurrence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # PagerDuty's triggers carry no start: each takes its receipt time, yet a repeat of a
    # firing dedup_key is the same occurrence (the engine says "repeat #n ... firing since").
    trigger = {"routing_key": "[redacted]", "event_action": "trigger", "dedup_key": "db1/disk"}
    trigger["payload"] = {"summary": "DISK 99%", "severity": "critical", "source": "db1"}
    rows = [
        {"received_at": f"2026-11-27T10:0{minute}:00Z", "source": "pagerduty", "payload": trigger}
        for minute in range(3)
    ]
    rows += [
        _am("10:03:00", "firing", NODE, "10:02:30"),
        _am("10:04:00", "firing", NODE, "10:03:30"),
    ]
    lines, out = _replay(tmp_path, rows, capsys, config=PAGERDUTY)

    assert [line["decision"] for line in lines[:3]] == ["opened", "deduplicated", "deduplicated"]
    # Alertmanager's later startsAt on a firing alert is a new occurrence of it, as before.
    assert "alert occurrences                 3" in out
