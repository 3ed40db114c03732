"""Ingest configuration problems are found when the file is loaded, named by file and line,
never at the first request."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.cli.config_bundle import load_tocsin_config
from shared.config.yaml_source import ConfigError


def problems_of(folder: Path, text: str) -> list[str]:
    path = folder / "tocsin.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as invalid:
        load_tocsin_config(path)
    assert all(problem.startswith(f"{path}:") for problem in invalid.value.problems)
    return invalid.value.problems


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "integrations:\n  - {name: a, type: pagerduty, token: t,"
            " default_labels: {bad-name: x}}\n",
            "integrations.0.default_labels: Value error, 'bad-name' is not a valid label name",
        ),
        (
            "integrations:\n  - {name: a, type: pagerduty, token: t,"
            " default_labels: {region: ''}}\n",
            "integrations.0.default_labels: Value error, label region must not be empty",
        ),
        (
            "integrations:\n  - name: a\n    type: canonical\n    token: t\n"
            "    layer_rules: [{when: 'job=~\"(\"', layer: business}]\n",
            "integrations.0.layer_rules.0.when: Value error, invalid regex for job",
        ),
        (
            "heartbeats:\n  - {name: a, interval: 1m}\n",
            "heartbeats.0: Value error, needs a token, a watchdog matcher, or both",
        ),
        ("heartbeats:\n  - {name: a, interval: 0s, token: t}\n", "heartbeats.0.interval:"),
        (
            "heartbeats:\n  - {name: a, interval: 1m, watchdog: 'alertname=~\"(\"'}\n",
            "heartbeats.0.watchdog: Value error, invalid regex for alertname",
        ),
        (
            "heartbeats:\n  - {name: a, interval: 1m, token: t, labels: {9x: y}}\n",
            "heartbeats.0.labels: Value error, '9x' is not a valid label name",
        ),
        (
            "heartbeats:\n  - {name: a, interval: 1m, token: t}\n"
            "  - {name: a, interval: 2m, token: u}\n",
            "heartbeats: Value error, heartbeat names must be unique: a",
        ),
        (
            "heartbeats:\n  - {name: a, interval: 1m, token: t, grace: 5m}\n",
            "heartbeats.0.grace: Extra inputs are not permitted",
        ),
    ],
)
def test_ingest_config_problems_name_file_line_and_field(
    tmp_path: Path, text: str, problem: str
) -> None:
    problems = problems_of(tmp_path, text)

    assert any(problem in message for message in problems), problems


def test_a_heartbeat_fed_only_by_its_watchdog_needs_no_token(tmp_path: Path) -> None:
    path = tmp_path / "tocsin.yaml"
    path.write_text(
        "heartbeats:\n  - {name: prom, interval: 2m, watchdog: 'alertname=\"Watchdog\"'}\n",
        encoding="utf-8",
    )

    [heartbeat] = load_tocsin_config(path).ingest.heartbeats

    assert (heartbeat.name, heartbeat.token, heartbeat.watchdog) == (
        "prom",
        None,
        'alertname="Watchdog"',
    )
