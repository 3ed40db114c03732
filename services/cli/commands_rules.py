"""`tocsin rules check` and `tocsin rules test`: the rule tooling SREs and scripts drive."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from services.cli.config_bundle import load_tocsin_config
from services.correlator.domain.alertmanager import explain, parse_route, receivers_line
from shared.alertmanager.matchers import MatcherError, parse_matcher
from shared.config.yaml_source import ConfigError


def register(sub: Any) -> None:
    rules = sub.add_parser("rules", help="check and test correlation and routing rules")
    verbs = rules.add_subparsers(dest="verb", required=True)
    check = verbs.add_parser("check", help="validate a config file")
    check.add_argument("--config", type=Path, required=True)
    check.set_defaults(handler=check_rules)
    test = verbs.add_parser("test", help="print the receivers an alert's labels route to")
    test.add_argument("--config", type=Path, required=True)
    test.add_argument("--explain", action="store_true", help="show route path and group key")
    test.add_argument("labels", nargs="*", metavar="label=value")
    test.set_defaults(handler=test_rules)


def check_rules(args: argparse.Namespace) -> int:
    try:
        config = load_tocsin_config(args.config)
    except ConfigError as invalid:
        print(invalid, file=sys.stderr)
        return 1
    print(
        f"{args.config}: valid (rule set {config.version}: "
        f"{len(config.ingest.integrations)} integrations, "
        f"{len(config.router.escalation_policies)} escalation policies, "
        f"{len(config.router.schedules)} schedules)"
    )
    return 0


def parse_label_args(pairs: list[str]) -> dict[str, str]:
    """Labels given as `name=value` arguments, read as amtool reads them: each is an equality
    matcher (`env="prod"` unquoted; `env=~prod`, `env!=prod` and a bad name refused)."""
    labels: dict[str, str] = {}
    for pair in pairs:
        try:
            matcher = parse_matcher(pair)
        except MatcherError as bad:
            raise ValueError(f"Failed to parse labels: {bad}") from None
        if matcher.op != "=":
            raise ValueError("Failed to parse labels: labels must be specified as key=value pairs")
        labels[matcher.name] = matcher.value
    return labels


def test_rules(args: argparse.Namespace) -> int:
    try:
        config = load_tocsin_config(args.config)
        labels = parse_label_args(args.labels)
    except (ConfigError, ValueError) as invalid:
        print(invalid, file=sys.stderr)
        return 1
    tree = parse_route(config.correlator.route)
    print(receivers_line(tree, labels))
    if args.explain:
        for line in explain(tree, labels):
            print(f"  {line}")
    return 0
