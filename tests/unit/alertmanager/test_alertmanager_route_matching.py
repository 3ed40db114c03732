"""Which routes an alert takes, and the group keys it gets there (ALERTMANAGER.md §2, §3)."""

from __future__ import annotations

import yaml

from services.correlator.domain.alertmanager import (
    Route,
    RouteExplanation,
    explain,
    label_set_string,
    match_routes,
    parse_route,
    receivers_line,
    sorted_for_notification,
)
from shared.fingerprint import label_fingerprint


def _route(text: str) -> Route:
    return parse_route(yaml.safe_load(text)["route"])


def _ids(tree: Route, labels: dict[str, str]) -> list[str]:
    return [match.route_id for match in match_routes(tree, labels)]


SIBLINGS = _route(
    """
route:
  receiver: root
  routes:
    - {matchers: ['team="db"'], receiver: db}
    - {matchers: ['team="db"'], receiver: db-copy}
    - {matchers: ['severity="critical"'], receiver: pager, continue: true}
    - {matchers: ['env="prod"'], receiver: prod}
"""
)


# --- §2 matching ------------------------------------------------------------------------------


def test_first_matching_sibling_wins() -> None:
    assert receivers_line(SIBLINGS, {"team": "db"}) == "db"


def test_continue_fans_out_to_later_siblings() -> None:
    assert receivers_line(SIBLINGS, {"severity": "critical", "env": "prod"}) == "pager,prod"


def test_continue_only_matters_on_a_child_that_matched() -> None:
    assert receivers_line(SIBLINGS, {"env": "prod"}) == "prod"


def test_alert_matching_no_child_is_handled_by_the_root() -> None:
    assert _ids(SIBLINGS, {"team": "web"}) == ["0"]
    assert receivers_line(SIBLINGS, {"team": "web"}) == "root"


NESTED = _route(
    """
route:
  receiver: root
  routes:
    - matchers: ['team="db"']
      receiver: db
      routes:
        - {matchers: ['severity="critical"'], receiver: db-pager, continue: true}
        - {matchers: ['env="prod"'], receiver: db-prod, continue: true}
    - {matchers: ['env="prod"'], receiver: prod}
    - {receiver: catch-all}
    - {receiver: never}
"""
)


def test_parent_that_matched_handles_the_alert_and_stops_later_siblings() -> None:
    # given an alert matching the `team="db"` parent but none of its children
    labels = {"team": "db", "severity": "warning"}

    # when routed, then the parent itself is the match and `env`/catch-all siblings are not tried
    assert _ids(NESTED, labels) == ["0/0"]
    assert receivers_line(NESTED, labels) == "db"


def test_continue_inside_a_subtree_never_escapes_to_the_parents_siblings() -> None:
    labels = {"team": "db", "severity": "critical", "env": "prod"}

    assert _ids(NESTED, labels) == ["0/0/0", "0/0/1"]
    assert receivers_line(NESTED, labels) == "db-pager,db-prod"


def test_child_without_matchers_is_a_catch_all_that_shadows_later_siblings() -> None:
    assert receivers_line(NESTED, {"team": "web"}) == "catch-all"


def test_catch_all_with_continue_does_not_shadow_later_siblings() -> None:
    tree = _route(
        """
route:
  receiver: root
  routes:
    - {receiver: audit, continue: true}
    - {matchers: ['team="db"'], receiver: db}
"""
    )

    assert receivers_line(tree, {"team": "db"}) == "audit,db"
    assert receivers_line(tree, {"team": "web"}) == "audit"


def test_same_receiver_on_two_routes_gives_two_matches_and_two_groups() -> None:
    tree = _route(
        """
route:
  receiver: root
  group_by: [alertname]
  routes:
    - {matchers: ['team="db"'], receiver: db, continue: true}
    - {matchers: ['team="db"'], receiver: db}
"""
    )
    labels = {"alertname": "DiskFull", "team": "db"}

    matches = match_routes(tree, labels)

    assert receivers_line(tree, labels) == "db,db"
    assert [m.route_id for m in matches] == ["0/0", "0/1"]
    # identical matchers give identical key strings although the groups are distinct
    assert [m.group_key(labels) for m in matches] == [
        '{}/{team="db"}:{alertname="DiskFull"}',
        '{}/{team="db"}:{alertname="DiskFull"}',
    ]


# --- §3 groups and group keys -----------------------------------------------------------------


def test_group_key_matches_alertmanager_for_a_nested_route() -> None:
    tree = _route(
        """
route:
  receiver: root
  group_by: [alertname, cluster]
  routes:
    - matchers: ['team="a"', 'app=~"web.*"', 'env="prod"']
      routes:
        - matchers: ['severity="critical"', 'alertname!="Watchdog"']
          receiver: pager
"""
    )
    labels = {"alertname": "HighErrorRate", "cluster": "eu1", "team": "a", "app": "web1"}
    labels |= {"env": "prod", "severity": "critical"}

    [match] = match_routes(tree, labels)

    assert match.group_key(labels) == (
        '{}/{app=~"web.*",env="prod",team="a"}/{alertname!="Watchdog",severity="critical"}'
        ':{alertname="HighErrorRate", cluster="eu1"}'
    )


def test_group_labels_sort_as_whole_strings_in_0_25() -> None:
    tree = _route("route: {receiver: root, group_by: [dc, dc2]}")
    labels = {"dc": "x", "dc2": "y"}

    assert match_routes(tree, labels)[0].group_key(labels) == '{}:{dc2="y", dc="x"}'


def test_group_by_labels_the_alert_lacks_are_left_out_of_its_group() -> None:
    tree = _route("route: {receiver: root, group_by: [alertname, cluster]}")
    [match] = match_routes(tree, {"alertname": "A"})

    assert match.group_labels({"alertname": "A", "env": "prod"}) == {"alertname": "A"}
    assert match.group_key({"alertname": "A"}) == '{}:{alertname="A"}'
    assert match.group_key({"alertname": "A", "cluster": "c"}) != match.group_key(
        {"alertname": "A"}
    )


def test_group_by_all_uses_every_label_and_no_group_by_uses_none() -> None:
    every = _route("route: {receiver: root, group_by: ['...']}")
    nothing = _route("route: {receiver: root}")
    labels = {"zz": "1", "a_b": "2", "a": "3"}

    assert every.info.group_key(labels) == '{}:{a="3", a_b="2", zz="1"}'
    assert nothing.info.group_key(labels) == "{}:{}"


def test_legacy_match_re_appears_anchored_and_matchers_sort_by_name_value_operator() -> None:
    tree = _route(
        """
route:
  receiver: root
  routes:
    - match_re: {service: "db.*"}
      matchers: ['a!~"x"', 'a=~"x"', 'a!="x"', 'a="x"', 'a="w"']
"""
    )

    assert tree.routes[0].info.route_key == (
        '{}/{a="w",a="x",a!="x",a=~"x",a!~"x",service=~"^(?:db.*)$"}'
    )


def test_route_key_escapes_matcher_values_and_group_labels_use_go_quoting() -> None:
    tree = parse_route(
        {
            "receiver": "root",
            "group_by": ["dc", "dc2"],
            "routes": [{"matchers": ['x="q\\"uo\\\\te\\nnl\ttab"']}],
        }
    )
    labels = {"x": 'q"uo\\te\nnl\ttab', "dc": "x\ty", "dc2": "é\u00a0z\u0007"}

    [match] = match_routes(tree, labels)

    # as 0.25 prints them: matchers in amtool's routing tree, labels in a webhook's groupKey
    assert match.route_key == '{}/{x="q\\"uo\\\\te\\nnl\ttab"}'
    assert match.group_key(labels).endswith(':{dc2="é\\u00a0z\\a", dc="x\\ty"}')


def test_label_set_string_quotes_values_like_go() -> None:
    assert label_set_string({"b": 'say "hi"', "a": "\\"}) == '{a="\\\\", b="say \\"hi\\""}'


def test_fingerprint_is_alertmanagers_fnv1a() -> None:
    assert label_fingerprint({"foo": "bar"}) == "3fff2c2d7595e046"


def test_alerts_in_a_notification_sort_by_job_then_instance_then_labels() -> None:
    alerts = [
        {"alertname": "B"},
        {"alertname": "A", "instance": "i1"},
        {"alertname": "A", "zone": "z"},
        {"alertname": "C", "job": "node", "instance": "i2"},
        {"alertname": "D", "job": "api"},
        {"alertname": "A", "job": "node", "instance": "i1"},
    ]

    ordered = sorted_for_notification(alerts, labels_of=lambda labels: labels)

    assert ordered == [
        {"alertname": "D", "job": "api"},
        {"alertname": "A", "job": "node", "instance": "i1"},
        {"alertname": "C", "job": "node", "instance": "i2"},
        {"alertname": "A", "instance": "i1"},
        {"alertname": "B"},
        {"alertname": "A", "zone": "z"},
    ]


def test_explain_gives_path_receiver_and_group_key_per_match() -> None:
    labels = {"team": "db", "severity": "critical", "env": "prod"}

    assert explain(NESTED, labels) == [
        RouteExplanation(
            "0/0/0",
            "route.routes[0].routes[0]",
            "db-pager",
            '{}/{team="db"}/{severity="critical"}:{}',
        ),
        RouteExplanation(
            "0/0/1", "route.routes[0].routes[1]", "db-prod", '{}/{team="db"}/{env="prod"}:{}'
        ),
    ]
    assert str(explain(SIBLINGS, {})[0]) == "route [0] -> root  group {}:{}"
