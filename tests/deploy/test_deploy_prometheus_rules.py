"""Tocsin's health rules and Prometheus config: promtool checks them, promtool unit-tests the
rules, and every metric they use is one the services really expose."""

from __future__ import annotations

import subprocess

from tests.deploy.deploy_support import (
    PROMETHEUS_CONFIG,
    PROMETHEUS_DIR,
    RULES,
    RULES_TESTS,
    RunningTocsin,
    alert_rules,
    load_yaml,
    metric_names,
    system_binary,
)

REQUIRED_ALERTS = {
    "TocsinWatchdog",  # heartbeat for a dead man's switch
    "TocsinTargetDown",  # up == 0
    "TocsinIngestRejectingRequests",  # 4xx: auth, invalid, malformed, too large
    "TocsinIngestUnavailable",  # answered 503
    "TocsinCorrelatorStalled",  # accepted but not decided (stands in for consumer lag)
    "TocsinDispatcherStalled",
    "TocsinNotificationsFailing",
    "TocsinNobodyPaged",
    "TocsinConfigRejected",  # a process runs other rules than its peers
}


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    binary = system_binary("promtool", "prometheus")
    return subprocess.run(
        [binary, *args], cwd=PROMETHEUS_DIR, capture_output=True, text=True, timeout=60
    )


def test_promtool_accepts_the_rules_and_the_config() -> None:
    rules = promtool("check", "rules", RULES.name)
    assert rules.returncode == 0, rules.stdout + rules.stderr
    config = promtool("check", "config", PROMETHEUS_CONFIG.name)
    assert config.returncode == 0, config.stdout + config.stderr
    assert "1 rule files found" in config.stdout


def test_rule_unit_tests_pass() -> None:
    result = promtool("test", "rules", RULES_TESTS.name)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_unit_test() -> None:
    tested = {
        case["alertname"]
        for test in load_yaml(RULES_TESTS)["tests"]
        for case in test.get("alert_rule_test", [])
    }
    assert {rule["alert"] for rule in alert_rules()} <= tested


def test_the_health_alerts_the_issue_asks_for_exist() -> None:
    assert {rule["alert"] for rule in alert_rules()} >= REQUIRED_ALERTS


def test_every_alert_is_labelled_and_explained() -> None:
    for rule in alert_rules():
        assert rule["labels"]["component"] == "tocsin", rule["alert"]
        assert rule["labels"]["severity"] in {"critical", "warning", "none"}, rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]


def test_rules_use_only_metrics_the_services_expose(running_tocsin: RunningTocsin) -> None:
    for rule in alert_rules():
        unknown = metric_names(rule["expr"]) - running_tocsin.metric_names
        assert not unknown, f"{rule['alert']} uses metrics no service exposes: {unknown}"


def test_the_rules_cover_each_service() -> None:
    used = set().union(*(metric_names(rule["expr"]) for rule in alert_rules()))
    for service in ("ingest", "correlator", "router"):
        assert any(name.startswith(f"tocsin_{service}_") for name in used), service
