"""`tocsin replay --config NEW --compare CURRENT` says what the new rules change: the incidents
of the current rules that the new ones merge, and those they split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.cli.main import main
from services.cli.replay_compare import compare, comparison_lines
from services.cli.replay_tally import ReplayTally

RULES = """
integrations:
  - {{name: prom, type: alertmanager, token: t-prom-0001}}
route: {{receiver: oncall, group_by: {group_by}, group_wait: 0s}}
"""


def _alert(name: str, instance: str) -> dict[str, object]:
    return {
        "status": "firing",
        "labels": {"alertname": name, "instance": instance, "region": "eu-west"},
        "annotations": {},
        "startsAt": "2026-11-27T06:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
    }


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Three alert names on one host: three incidents by [alertname], one by [region]."""
    lines = []
    for second, name in enumerate(("NodeDown", "DiskFull", "HighLoad")):
        body = {"version": "4", "status": "firing", "alerts": [_alert(name, "node-1")]}
        received_at = f"2026-11-27T06:00:{second:02d}Z"
        line = {"received_at": received_at, "source": "alertmanager", "payload": body}
        lines.append(json.dumps(line | {"integration": "prom"}))
    (tmp_path / "alerts.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "current.yaml").write_text(RULES.format(group_by="[alertname]"))
    (tmp_path / "new.yaml").write_text(RULES.format(group_by="[region]"))
    return tmp_path


def _compared(folder: Path, tried: str, current: str, capsys: pytest.CaptureFixture[str]) -> str:
    arguments = ["replay", "--config", str(folder / tried), "--compare", str(folder / current)]
    arguments += ["--input", str(folder / "alerts.jsonl"), "--output", str(folder / "out.jsonl")]
    with pytest.raises(SystemExit) as exited:
        main(arguments)
    assert exited.value.code == 0
    out = capsys.readouterr().out
    return out[out.index("from ") :]


def test_rules_that_group_more_are_reported_as_merging_the_current_incidents(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = _compared(folder, "new.yaml", "current.yaml", capsys).splitlines()
    assert lines[0] == f"from {folder / 'current.yaml'} to {folder / 'new.yaml'}"
    assert lines[1].split() == ["incidents", "3", "->", "1"]
    assert f"3 incidents of {folder / 'current.yaml'} into 1 of {folder / 'new.yaml'}" in lines[2]
    assert lines[3].split()[:2] == ["split", "0"]


def test_rules_that_group_less_are_reported_as_splitting_them(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = _compared(folder, "current.yaml", "new.yaml", capsys).splitlines()
    assert lines[1].split() == ["incidents", "1", "->", "3"]
    assert lines[2].split()[:2] == ["merged", "0"]
    assert f"1 incidents of {folder / 'new.yaml'} into 3 of {folder / 'current.yaml'}" in lines[3]


def test_an_incident_in_several_merges_or_splits_is_counted_once() -> None:
    # Two long incidents X, Y of the first rule set; the second opens P, Q, R in turn, each
    # holding notifications of both: X and Y are each split into P, Q, R, and P, Q, R each
    # merge X and Y.
    first = ReplayTally(keep_assignments=True, incidents=2)
    second = ReplayTally(keep_assignments=True, incidents=3)
    for position, target in enumerate(["P", "Q", "R"]):
        first.assignments[(position, 0)], second.assignments[(position, 0)] = "X", target
        first.assignments[(position, 1)], second.assignments[(position, 1)] = "Y", target
    lines = comparison_lines(compare(first, second), "a.yaml", "b.yaml")
    merged, split = (" ".join(line.split()) for line in lines[2:4])
    assert merged == "merged 2 incidents of a.yaml into 3 of b.yaml"
    assert split == "split 2 incidents of a.yaml into 3 of b.yaml"


WATCHED = RULES.format(group_by="[alertname]") + (
    "heartbeats:\n  - {name: prom, interval: 10m, watchdog: 'alertname=\"Watchdog\"'}\n"
)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_watchdog_taken_as_a_check_in_by_one_rule_set_pairs_no_other_alerts_wrongly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], jobs: str
) -> None:
    # The watchdog comes first in the payload: under the rules that take it as a check-in,
    # the alerts after it must still pair with themselves, not with their neighbours.
    names = ("Watchdog", "NodeDown", "DiskFull")
    bodies = [[_alert(name, "node-1") for name in names], [_alert("NodeDown", "node-1")]]
    lines = [
        json.dumps(
            {
                "received_at": f"2026-11-27T06:00:0{second}Z",
                "source": "alertmanager",
                "integration": "prom",
                "payload": {"version": "4", "status": "firing", "alerts": alerts},
            }
        )
        for second, alerts in enumerate(bodies)
    ]
    (tmp_path / "alerts.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "current.yaml").write_text(WATCHED)
    (tmp_path / "new.yaml").write_text(RULES.format(group_by="[alertname]"))

    arguments = ["replay", "--config", str(tmp_path / "new.yaml"), "--jobs", jobs]
    arguments += ["--compare", str(tmp_path / "current.yaml")]
    arguments += ["--input", str(tmp_path / "alerts.jsonl"), "--output", str(tmp_path / "o")]
    with pytest.raises(SystemExit) as exited:
        main(arguments)

    assert exited.value.code == 0
    out = capsys.readouterr().out
    compared = out[out.index("from ") :].splitlines()
    assert compared[1].split() == ["incidents", "2", "->", "3"]  # the watchdog's own
    assert compared[2].split()[:2] == ["merged", "0"]
    assert compared[3].split()[:2] == ["split", "0"]
