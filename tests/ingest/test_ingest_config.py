"""Ingest configuration problems are found when the file is loaded, named by file and line,
never at the first request."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.cli.config_bundle import load_tocsin_config
from services.cli.main import main
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
            "integrations.0.default_labels: 'bad-name' is not a valid label name",
        ),
        (
            "integrations:\n  - {name: a, type: pagerduty, token: t,"
            " default_labels: {region: ''}}\n",
            "integrations.0.default_labels: label region must not be empty",
        ),
        (
            "integrations:\n  - name: a\n    type: canonical\n    token: t\n"
            "    layer_rules: [{when: 'job=~\"(\"', layer: business}]\n",
            "integrations.0.layer_rules.0.when: invalid regex for job",
        ),
        (
            "heartbeats:\n  - {name: a, interval: 1m}\n",
            "heartbeats.0: needs a token, a watchdog matcher, or both",
        ),
        ("heartbeats:\n  - {name: a, interval: 0s, token: t}\n", "heartbeats.0.interval:"),
        (
            "heartbeats:\n  - {name: a, interval: 1m, watchdog: 'alertname=~\"(\"'}\n",
            "heartbeats.0.watchdog: invalid regex for alertname",
        ),
        (
            "heartbeats:\n  - {name: a, interval: 1m, token: t, labels: {9x: y}}\n",
            "heartbeats.0.labels: '9x' is not a valid label name",
        ),
        (
            "heartbeats:\n  - {name: a, interval: 1m, token: t}\n"
            "  - {name: a, interval: 2m, token: u}\n",
            "heartbeats: heartbeat names must be unique: a",
        ),
        (
            "integrations:\n  - {name: a, type: alertmanager, token: t}\n"
            "  - {name: b, type: canonical, token: u}\n  - {name: c, type: grafana, token: t}\n",
            "integrations: a and c share one token; give each its own",
        ),
        (
            "heartbeats:\n  - {name: a, interval: 1m, token: t}\n"
            "  - {name: b, interval: 2m, token: t}\n",
            "heartbeats: a and b share one token; give each its own",
        ),
        (
            "heartbeats:\n  - {name: a, interval: 1m, token: t, grace: 5m}\n",
            "heartbeats.0.grace: unknown field; known: interval, labels, name, token, watchdog",
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


def _rate_limited(limit: str) -> str:
    return (
        f"integrations:\n  - name: a\n    type: canonical\n    token: t\n    rate_limit: {limit}\n"
    )


RATE_LIMIT_PROBLEMS = [
    ("{alerts_per_second: 0}", "rate_limit.alerts_per_second: Input should be greater than 0"),
    ("{alerts_per_second: -1, burst: 3}", "rate_limit.alerts_per_second: Input should be greater"),
    ("{burst: 3}", "rate_limit.alerts_per_second: Field required"),
    ("{alerts_per_second: .inf}", "rate_limit.alerts_per_second: Input should be a finite"),
    ("{alerts_per_second: fast}", "rate_limit.alerts_per_second: Input should be a valid number"),
    ("{alerts_per_second: 2, burst: 0}", "rate_limit.burst: Input should be greater than or equal"),
    ("{alerts_per_second: 2, burst: 1.5}", "rate_limit.burst: Input should be a valid integer"),
    (
        "{alerts_per_second: 2, per: 1m}",
        "rate_limit.per: unknown field; known: alerts_per_second, burst",
    ),
]


@pytest.mark.parametrize(("limit", "problem"), RATE_LIMIT_PROBLEMS)
def test_a_rate_limit_problem_names_its_field(tmp_path: Path, limit: str, problem: str) -> None:
    [message] = problems_of(tmp_path, _rate_limited(limit))

    assert message.startswith(f"{tmp_path / 'tocsin.yaml'}:5: integrations.0.{problem}")


def test_rules_check_prints_a_rate_limit_problem_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tocsin.yaml"
    path.write_text(_rate_limited("{alerts_per_second: 0, burst: 5}"), encoding="utf-8")

    with pytest.raises(SystemExit) as ended:
        main(["rules", "check", "--config", str(path)])

    assert ended.value.code == 1
    assert capsys.readouterr().err == (
        f"{path}:5: integrations.0.rate_limit.alerts_per_second: Input should be greater than 0\n"
    )


@pytest.mark.parametrize(
    ("limit", "burst"),
    [
        ("{alerts_per_second: 2.5}", 25),
        ("{alerts_per_second: 0.15}", 2),  # 1.5, rounded up
        ("{alerts_per_second: 0.01}", 1),  # at least one alert
        ("{alerts_per_second: 100, burst: 20}", 20),
    ],
)
def test_the_burst_defaults_to_ten_seconds_of_the_rate(
    tmp_path: Path, limit: str, burst: int
) -> None:
    path = tmp_path / "tocsin.yaml"
    path.write_text(_rate_limited(limit), encoding="utf-8")

    [integration] = load_tocsin_config(path).ingest.integrations

    assert integration.rate_limit is not None
    assert integration.rate_limit.burst == burst


def test_an_integration_has_no_rate_limit_unless_configured(tmp_path: Path) -> None:
    path = tmp_path / "tocsin.yaml"
    path.write_text("integrations:\n  - {name: a, type: canonical, token: t}\n", encoding="utf-8")

    [integration] = load_tocsin_config(path).ingest.integrations

    assert integration.rate_limit is None
