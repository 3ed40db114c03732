"""Severity, layer, service and team derivation from labels."""

from __future__ import annotations

import pytest

from services.ingest.normalizers.classify import (
    LabelCondition,
    LayerRule,
    classify,
    derive_layer,
    derive_service,
    parse_conditions,
    severity_from_label,
)
from services.ingest.normalizers.opsgenie import PRIORITY_SEVERITY
from shared.alerts import Layer, Severity


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("critical", Severity.CRITICAL),
        ("CRIT", Severity.CRITICAL),
        ("page", Severity.CRITICAL),
        ("P1", Severity.CRITICAL),
        ("disaster", Severity.CRITICAL),
        ("error", Severity.ERROR),
        ("high", Severity.ERROR),
        ("major", Severity.ERROR),
        (" warning ", Severity.WARNING),
        ("warn", Severity.WARNING),
        ("average", Severity.WARNING),
        ("p3", Severity.WARNING),
        ("info", Severity.INFO),
        ("low", Severity.INFO),
        ("none", Severity.INFO),
        ("P5", Severity.INFO),
        ("sev4", Severity.INFO),
    ],
)
def test_severity_label_values_map_through_the_table(value: str, expected: Severity) -> None:
    assert severity_from_label(value) is expected


@pytest.mark.parametrize("value", [None, "", "urgent-ish", "5"])
def test_missing_or_unknown_severity_defaults_to_warning(value: str | None) -> None:
    assert severity_from_label(value) is Severity.WARNING


def test_pagerduty_severities_map_to_themselves() -> None:
    for severity in Severity:
        assert severity_from_label(severity.value) is severity


def test_opsgenie_priorities_map_p1_to_critical_down_to_info() -> None:
    assert dict(PRIORITY_SEVERITY) == {
        "P1": Severity.CRITICAL,
        "P2": Severity.ERROR,
        "P3": Severity.WARNING,
        "P4": Severity.INFO,
        "P5": Severity.INFO,
    }


def test_explicit_layer_label_wins_over_rules_and_heuristic() -> None:
    rules = (LayerRule.parse("alertname=Lag", Layer.INFRASTRUCTURE),)
    labels = {"alertname": "Lag", "layer": "Business", "instance": "h1"}

    assert derive_layer(labels, rules) is Layer.BUSINESS


def test_invalid_layer_label_falls_through_to_rules() -> None:
    rules = (LayerRule.parse("alertname=Lag", Layer.INFRASTRUCTURE),)

    assert derive_layer({"alertname": "Lag", "layer": "network"}, rules) is Layer.INFRASTRUCTURE


def test_first_matching_layer_rule_wins() -> None:
    rules = (
        LayerRule.parse('team="payments",alertname=~"Checkout.*"', "business"),
        LayerRule.parse("team=payments", "application"),
    )

    assert derive_layer({"team": "payments", "alertname": "CheckoutDrop"}, rules) is Layer.BUSINESS
    assert derive_layer({"team": "payments", "alertname": "Latency"}, rules) is Layer.APPLICATION


def test_layer_rule_regex_is_fully_anchored_around_the_whole_alternation() -> None:
    rule = LayerRule.parse('service=~"db|cache-.*"', "infrastructure")

    assert rule.matches({"service": "db"})
    assert rule.matches({"service": "cache-redis"})
    assert not rule.matches({"service": "dbx"})
    assert not rule.matches({"service": "my-cache-redis"})


def test_layer_rule_treats_a_missing_label_as_empty_string() -> None:
    assert LayerRule.parse('owner=""', "business").matches({"alertname": "A"})
    assert LayerRule.parse("team=~db|", "business").matches({})
    assert not LayerRule.parse('owner=~".+"', "business").matches({})


def test_layer_rule_without_conditions_matches_everything() -> None:
    assert LayerRule.parse("", "business").matches({"alertname": "A"})
    assert LayerRule.parse("{}", "business").matches({})


def test_heuristic_host_labels_without_service_mean_infrastructure() -> None:
    assert derive_layer({"alertname": "DiskFull", "instance": "i1"}, ()) is Layer.INFRASTRUCTURE
    assert derive_layer({"alertname": "X", "mountpoint": "/"}, ()) is Layer.INFRASTRUCTURE


def test_heuristic_service_label_or_no_host_label_means_application() -> None:
    assert derive_layer({"alertname": "E", "instance": "i1", "service": "api"}, ()) is (
        Layer.APPLICATION
    )
    assert derive_layer({"alertname": "E", "host": "h", "app": "web"}, ()) is Layer.APPLICATION
    assert derive_layer({"alertname": "E", "job": "api"}, ()) is Layer.APPLICATION


def test_parse_conditions_reads_quoted_values_with_commas_and_escapes() -> None:
    conditions = parse_conditions(r'{a="x,y", b=~"v\"q|w", c=plain , d=}')

    assert [(c.name, c.value, c.regex is not None) for c in conditions] == [
        ("a", "x,y", False),
        ("b", 'v"q|w', True),
        ("c", "plain", False),
        ("d", "", False),
    ]


def test_condition_equality_compares_exact_value() -> None:
    assert LabelCondition("env", "prod").holds({"env": "prod"})
    assert not LabelCondition("env", "prod").holds({"env": "production"})


@pytest.mark.parametrize(
    "text", ["env", "env!=prod", "env!~prod", "1env=prod", 'env="prod', "env=a,,b=c", 'a="x"y']
)
def test_malformed_condition_is_a_configuration_error(text: str) -> None:
    with pytest.raises(ValueError, match="malformed"):
        parse_conditions(text)


def test_invalid_regex_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="invalid regex for env"):
        parse_conditions('env=~"("')


def test_service_prefers_service_then_app_then_job() -> None:
    assert derive_service({"service": "s", "app": "a", "job": "j"}) == "s"
    assert derive_service({"app": "a", "job": "j"}) == "a"
    assert derive_service({"job": "j"}) == "j"
    assert derive_service({"alertname": "A"}) is None


def test_classify_combines_all_derivations() -> None:
    result = classify({"alertname": "A", "severity": "page", "team": "db", "job": "pg"}, ())

    assert (result.severity, result.layer, result.service, result.team) == (
        Severity.CRITICAL,
        Layer.APPLICATION,
        "pg",
        "db",
    )
