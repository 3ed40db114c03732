"""Parsing a pasted `route:` section: inheritance and validation (ALERTMANAGER.md §2)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml

from services.correlator.domain.alertmanager import (
    Route,
    RouteConfigError,
    RouteOptions,
    parse_route,
)
from shared.alertmanager import Matcher


def _route(text: str, **known: list[str]) -> Route:
    return parse_route(yaml.safe_load(text)["route"], **known)


def _child(tree: Route, *path: int) -> Route:
    for index in path:
        tree = tree.routes[index]
    return tree


# --- option inheritance -----------------------------------------------------------------------


def test_root_without_options_gets_alertmanager_defaults() -> None:
    tree = _route("route: {receiver: ops}")

    assert tree.info.options == RouteOptions(
        receiver="ops",
        group_by=(),
        group_by_all=False,
        group_wait=timedelta(seconds=30),
        group_interval=timedelta(minutes=5),
        repeat_interval=timedelta(hours=4),
    )


def test_each_option_is_inherited_separately_unless_set() -> None:
    tree = _route(
        """
route:
  receiver: ops
  group_by: [alertname]
  group_wait: 10s
  repeat_interval: 1h
  routes:
    - matchers: ['team="db"']
      group_interval: 1m
      routes:
        - matchers: ['severity="critical"']
          receiver: db-pager
          group_wait: 1h30m
"""
    )

    assert _child(tree, 0, 0).info.options == RouteOptions(
        receiver="db-pager",
        group_by=("alertname",),
        group_by_all=False,
        group_wait=timedelta(hours=1, minutes=30),
        group_interval=timedelta(minutes=1),
        repeat_interval=timedelta(hours=1),
    )
    assert _child(tree, 0).info.options.receiver == "ops"


def test_empty_group_by_list_is_ignored_and_inherits_in_0_25() -> None:
    tree = _route(
        """
route:
  receiver: ops
  group_by: [cluster]
  routes: [{matchers: ['a="1"'], group_by: []}]
"""
    )

    assert _child(tree, 0).info.options.group_by == ("cluster",)


def test_group_by_all_is_inherited_and_switched_off_by_an_explicit_list() -> None:
    tree = _route(
        """
route:
  receiver: ops
  group_by: ['...']
  routes:
    - matchers: ['a="1"']
      routes: [{matchers: ['b="2"'], group_by: [service]}]
"""
    )

    assert tree.info.options.group_by_all
    assert _child(tree, 0).info.options.group_by_all
    assert not _child(tree, 0, 0).info.options.group_by_all
    assert _child(tree, 0, 0).info.options.group_by == ("service",)


def test_time_interval_names_are_kept_per_node_and_not_inherited() -> None:
    tree = _route(
        """
route:
  receiver: ops
  routes:
    - matchers: ['a="1"']
      mute_time_intervals: [weekends]
      active_time_intervals: [office]
      routes: [{matchers: ['b="2"']}]
"""
    )

    assert _child(tree, 0).info.mute_time_intervals == ("weekends",)
    assert _child(tree, 0).info.active_time_intervals == ("office",)
    assert _child(tree, 0, 0).info.mute_time_intervals == ()
    assert _child(tree, 0, 0).info.active_time_intervals == ()


def test_all_three_matcher_syntaxes_are_combined_and_sorted() -> None:
    tree = _route(
        """
route:
  receiver: ops
  routes:
    - match: {team: db}
      match_re: {service: "db.*"}
      matchers: ['env=~"prod|staging"', 'alertname!="Watchdog"']
"""
    )

    assert _child(tree, 0).matchers == (
        Matcher("alertname", "!=", "Watchdog"),
        Matcher("env", "=~", "prod|staging"),
        Matcher("service", "=~", "^(?:db.*)$"),
        Matcher("team", "=", "db"),
    )


def test_zero_group_wait_is_allowed() -> None:
    tree = _route("route: {receiver: ops, group_wait: 0s}")

    assert tree.info.options.group_wait == timedelta(0)


def test_route_ids_and_config_paths_follow_the_tree() -> None:
    tree = _route(
        """
route:
  receiver: ops
  routes:
    - matchers: ['a="1"']
    - matchers: ['a="2"']
      routes: [{matchers: ['b="1"']}, {matchers: ['b="2"']}]
"""
    )

    node = _child(tree, 1, 1)
    assert (tree.info.route_id, tree.info.config_path) == ("0", "route")
    assert (node.info.route_id, node.info.config_path) == ("0/1/1", "route.routes[1].routes[1]")


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("route: {group_by: [a]}", "route.receiver: the root route must have a receiver"),
        ("route: {receiver: ops, matchers: ['a=b']}", "route.matchers: the root route must not"),
        ("route: {receiver: ops, match: {a: b}}", "route.match: the root route must not"),
        (
            "route: {receiver: ops, mute_time_intervals: [w]}",
            "route.mute_time_intervals: the root route must not",
        ),
        (
            "route: {receiver: ops, active_time_intervals: [w]}",
            "route.active_time_intervals: the root route must not",
        ),
        ("route: {receiver: ops, continue: true}", "route.continue: the root route cannot"),
        (
            "route: {receiver: ops, group_interval: 0s}",
            "route.group_interval: group_interval cannot",
        ),
        (
            "route: {receiver: ops, repeat_interval: 0}",
            "route.repeat_interval: repeat_interval cannot",
        ),
        (
            "route: {receiver: ops, group_wait: 30m1h}",
            "route.group_wait: not a valid duration string",
        ),
        ("route: {receiver: ops, group_wait: 10}", "route.group_wait: not a valid duration string"),
        ("route: {receiver: ops, group_by: [a, '...']}", "route.group_by: '...' (group by all"),
        ("route: {receiver: ops, group_by: [a, a]}", "route.group_by[1]: duplicated label 'a'"),
        (
            "route: {receiver: ops, group_by: ['a:b']}",
            "route.group_by[0]: invalid label name 'a:b'",
        ),
        ("route: {receiver: ops, recever: x}", "route: unknown field 'recever'"),
        ("route: {receiver: ops, routes: {a: 1}}", "route.routes: expected a list of routes"),
    ],
)
def test_invalid_route_is_refused_naming_the_field(text: str, message: str) -> None:
    with pytest.raises(RouteConfigError) as raised:
        _route(text)

    assert str(raised.value).startswith(message)


def test_root_whose_matcher_strings_hold_no_matchers_is_accepted() -> None:
    # 0.25 counts parsed matchers, and `""` / `{}` parse to none
    tree = _route("route: {receiver: ops, matchers: ['', '{}']}")

    assert tree.matchers == ()
    assert tree.info.route_key == "{}"


def test_error_deep_in_the_tree_names_the_full_path() -> None:
    text = """
route:
  receiver: ops
  routes:
    - matchers: ['a="1"']
    - matchers: ['a="2"']
    - matchers: ['a="3"']
      routes:
        - matchers: ['b="1"']
        - matchers: ['b="2"']
          group_interval: 0s
"""
    with pytest.raises(RouteConfigError) as raised:
        _route(text)

    assert raised.value.path == "route.routes[2].routes[1].group_interval"
    assert raised.value.location == ("route", "routes", 2, "routes", 1, "group_interval")


@pytest.mark.parametrize(
    ("child", "message"),
    [
        ("{matchers: ['a=\"1\"', 'b']}", "route.routes[0].matchers[1]: bad matcher format: 'b'"),
        ("{match_re: {svc: '('}}", 'route.routes[0].match_re.svc: matcher svc=~"^(?:()$"'),
        ("{match: {'a:b': x}}", "route.routes[0].match.a:b: invalid label name 'a:b'"),
        ("{matchers: ['a=~\"x(?=y)\"']}", 'route.routes[0].matchers[0]: matcher a=~"x(?=y)"'),
    ],
)
def test_bad_matcher_in_a_route_names_route_and_matcher(child: str, message: str) -> None:
    with pytest.raises(RouteConfigError) as raised:
        _route(f"route: {{receiver: ops, routes: [{child}]}}")

    assert str(raised.value).startswith(message)


def test_reference_to_an_undefined_receiver_is_refused_when_receivers_are_given() -> None:
    text = "route: {receiver: ops, routes: [{receiver: dba}]}"

    with pytest.raises(RouteConfigError, match=r"route.routes\[0\].receiver: undefined receiver"):
        _route(text, receivers=["ops", "db"])


def test_reference_to_an_undefined_time_interval_is_refused_when_intervals_are_given() -> None:
    text = "route: {receiver: ops, routes: [{mute_time_intervals: [nope]}]}"

    with pytest.raises(RouteConfigError, match="undefined time interval 'nope'"):
        _route(text, time_intervals=["weekends"])
