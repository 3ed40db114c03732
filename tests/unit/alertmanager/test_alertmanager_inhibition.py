"""Inhibition rules as Alertmanager 0.25 applies them (ALERTMANAGER.md §5)."""

from __future__ import annotations

import pytest
import yaml

from services.correlator.domain.alertmanager import (
    InhibitRule,
    InhibitRuleConfigError,
    inhibited_by,
    parse_inhibit_rules,
)
from shared.alertmanager import Matcher


def _rules(text: str) -> list[InhibitRule]:
    return parse_inhibit_rules(yaml.safe_load(text)["inhibit_rules"])


CRITICAL_MUTES_WARNING = _rules(
    """
inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity="warning"']
    equal: [cluster, zone]
"""
)


def test_target_is_muted_by_a_source_with_equal_labels() -> None:
    target = {"alertname": "W", "severity": "warning", "cluster": "a"}
    sources = [("fp-c", {"alertname": "C", "severity": "critical", "cluster": "a"})]

    assert inhibited_by(CRITICAL_MUTES_WARNING, target, sources) == (0, "fp-c")


def test_target_is_not_muted_when_an_equal_label_differs() -> None:
    target = {"severity": "warning", "cluster": "a"}
    sources = [("fp-c", {"severity": "critical", "cluster": "b"})]

    assert inhibited_by(CRITICAL_MUTES_WARNING, target, sources) is None


def test_equal_label_missing_on_both_sides_counts_as_equal() -> None:
    # `zone` is missing on both alerts
    target = {"severity": "warning", "cluster": "a"}
    sources = [("fp-c", {"severity": "critical", "cluster": "a"})]

    assert inhibited_by(CRITICAL_MUTES_WARNING, target, sources) == (0, "fp-c")


def test_equal_label_missing_on_one_side_only_does_not_count_as_equal() -> None:
    target = {"severity": "warning", "cluster": "a", "zone": "z1"}
    sources = [("fp-c", {"severity": "critical", "cluster": "a"})]

    assert inhibited_by(CRITICAL_MUTES_WARNING, target, sources) is None


def test_no_active_source_means_no_inhibition() -> None:
    # resolved alerts are not passed as sources: a resolved critical mutes nothing
    assert inhibited_by(CRITICAL_MUTES_WARNING, {"severity": "warning"}, []) is None


BOTH_SIDES = _rules(
    """
inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity=~"warning|critical"']
    equal: [cluster]
"""
)


def test_alerts_matching_both_sides_never_inhibit_each_other() -> None:
    first = {"alertname": "C1", "severity": "critical", "cluster": "a"}
    second = {"alertname": "C2", "severity": "critical", "cluster": "a"}
    sources = [("fp-1", first), ("fp-2", second)]

    assert inhibited_by(BOTH_SIDES, first, sources) is None
    assert inhibited_by(BOTH_SIDES, second, sources) is None


def test_source_only_alert_still_inhibits_a_both_sides_alert() -> None:
    rules = _rules(
        """
inhibit_rules:
  - source_matchers: ['alertname=~"Node.*"']
    target_matchers: ['kind="pod"']
    equal: [node]
"""
    )
    both_sides = {"alertname": "NodeDown", "kind": "pod", "node": "n1"}
    source_only = {"alertname": "NodeX", "node": "n1"}
    sources = [("fp-both", both_sides), ("fp-src", source_only)]

    assert inhibited_by(rules, both_sides, sources) == (0, "fp-src")


def test_rules_are_independent_so_mutual_rules_mute_both_alerts() -> None:
    rules = _rules(
        """
inhibit_rules:
  - {source_matchers: ['alertname="A"'], target_matchers: ['alertname="B"']}
  - {source_matchers: ['alertname="B"'], target_matchers: ['alertname="A"']}
"""
    )
    a, b = {"alertname": "A"}, {"alertname": "B"}
    sources = [("fp-a", a), ("fp-b", b)]

    assert inhibited_by(rules, b, sources) == (0, "fp-a")
    assert inhibited_by(rules, a, sources) == (1, "fp-b")


def test_inhibited_alert_still_acts_as_a_source_so_chains_work() -> None:
    rules = _rules(
        """
inhibit_rules:
  - {source_matchers: ['tier="1"'], target_matchers: ['tier="2"']}
  - {source_matchers: ['tier="2"'], target_matchers: ['tier="3"']}
"""
    )
    tier1, tier2, tier3 = {"tier": "1"}, {"tier": "2"}, {"tier": "3"}
    sources = [("fp-1", tier1), ("fp-2", tier2), ("fp-3", tier3)]

    assert inhibited_by(rules, tier2, sources) == (0, "fp-1")
    assert inhibited_by(rules, tier3, sources) == (1, "fp-2")


ONLY_TARGET = _rules("inhibit_rules: [{target_matchers: ['alertname=\"Flaky\"']}]")


def test_rule_with_only_target_matchers_mutes_nothing_while_only_targets_fire() -> None:
    flaky1 = {"alertname": "Flaky", "instance": "i1"}
    flaky2 = {"alertname": "Flaky", "instance": "i2"}
    sources = [("fp-1", flaky1), ("fp-2", flaky2)]

    assert inhibited_by(ONLY_TARGET, flaky1, sources) is None


def test_rule_with_only_target_matchers_mutes_targets_once_any_other_alert_fires() -> None:
    flaky = {"alertname": "Flaky"}
    sources = [("fp-flaky", flaky), ("fp-other", {"alertname": "Unrelated"})]

    assert inhibited_by(ONLY_TARGET, flaky, sources) == (0, "fp-other")


def test_first_matching_rule_and_first_source_in_given_order_are_reported() -> None:
    rules = [*CRITICAL_MUTES_WARNING, *CRITICAL_MUTES_WARNING]
    target = {"severity": "warning"}
    sources = iter([("fp-1", {"severity": "critical"}), ("fp-2", {"severity": "critical"})])

    assert inhibited_by(rules, target, sources) == (0, "fp-1")


# --- parsing ----------------------------------------------------------------------------------


def test_legacy_and_new_matcher_fields_are_combined() -> None:
    [rule] = _rules(
        """
inhibit_rules:
  - source_match: {severity: critical}
    source_match_re: {service: "db.*"}
    source_matchers: ['env="prod"']
    target_match: {severity: warning}
    target_match_re: {alertname: "Disk.*"}
    equal: [cluster]
"""
    )

    assert rule == InhibitRule(
        source_matchers=(
            Matcher("severity", "=", "critical"),
            Matcher("service", "=~", "^(?:db.*)$"),
            Matcher("env", "=", "prod"),
        ),
        target_matchers=(
            Matcher("severity", "=", "warning"),
            Matcher("alertname", "=~", "^(?:Disk.*)$"),
        ),
        equal=("cluster",),
    )


def test_absent_inhibit_rules_section_is_no_rules() -> None:
    assert parse_inhibit_rules(None) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "inhibit_rules: [{equal: ['a:b']}]",
            "inhibit_rules[0].equal[0]: invalid label name 'a:b'",
        ),
        (
            "inhibit_rules: [{}, {target_matchers: ['x']}]",
            "inhibit_rules[1].target_matchers[0]: bad matcher format: 'x'",
        ),
        (
            "inhibit_rules: [{source_match_re: {a: '('}}]",
            'inhibit_rules[0].source_match_re.a: matcher a=~"^(?:()$": invalid regex',
        ),
        ("inhibit_rules: [{source: x}]", "inhibit_rules[0]: unknown field 'source'"),
        ("inhibit_rules: {a: 1}", "inhibit_rules: expected a list of rules"),
    ],
)
def test_invalid_inhibit_rule_is_refused_naming_the_field(text: str, message: str) -> None:
    with pytest.raises(InhibitRuleConfigError) as raised:
        _rules(text)

    assert str(raised.value).startswith(message)
