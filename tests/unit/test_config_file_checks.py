"""`tocsin rules check` as an SRE writing the config by hand meets it: every problem of the file
at once, one line each, in the file's order, naming file, line and field; nothing silently
ignored, pasted Alertmanager sections Tocsin does not read refused with what to do instead."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from services.cli.config_bundle import MAX_ROUTE_DEPTH, load_tocsin_config
from services.cli.main import main
from shared.config.yaml_source import ConfigError

ROOT = Path(__file__).resolve().parents[2]
POLICY = """\
channels:
  console: {type: console}
escalation_policies:
  - name: oncall
    steps: [{notify: ["channel:console"]}]
"""


def problems_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "tocsin.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_tocsin_config(path)
    prefix = f"{path}:"
    for problem in raised.value.problems:
        assert problem.startswith(prefix), problem
    return [problem.removeprefix(prefix) for problem in raised.value.problems]


def loads(tmp_path: Path, text: str) -> None:
    path = tmp_path / "tocsin.yaml"
    path.write_text(text, encoding="utf-8")
    load_tocsin_config(path)


ALERTMANAGER_YML = """\
global:
  resolve_timeout: 5m
templates: ['/etc/alertmanager/*.tmpl']
route:
  receiver: team-x-mails
  group_by: [alertname, cluster]
  routes:
    - matchers: [service="files"]
      receiver: team-y-mails
      mute_time_intervals: [offhours]
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [alertname]
receivers:
  - name: team-x-mails
    email_configs: [{to: 'x@example.org'}]
  - name: team-y-mails
time_intervals:
  - name: offhours
    time_intervals: [{times: [{start_time: "18:00", end_time: "24:00"}]}]
"""


def test_a_whole_alertmanager_yml_has_each_part_tocsin_does_not_read_refused(
    tmp_path: Path,
) -> None:
    problems = problems_of(tmp_path, ALERTMANAGER_YML)

    assert [problem.split(" ", 2)[:2] for problem in problems] == [
        ["1:", "global:"],
        ["3:", "templates:"],
        ["10:", "route.routes.0.mute_time_intervals:"],
        ["15:", "receivers:"],
        ["19:", "time_intervals:"],
    ]
    assert "Alertmanager's receivers are not read by Tocsin" in problems[3]
    assert (
        "escalation policy, channel, user or team named like each route receiver" in (problems[3])
    )
    assert "time intervals are not supported" in problems[2]


def test_a_pasted_route_tree_and_inhibit_rules_alone_are_accepted(tmp_path: Path) -> None:
    route_and_rules = ALERTMANAGER_YML.split("route:", 1)[1].split("receivers:", 1)[0]
    loads(
        tmp_path, "route:" + route_and_rules.replace("      mute_time_intervals: [offhours]\n", "")
    )


def test_misspelt_sections_and_correlation_keys_are_refused_with_the_key_meant(
    tmp_path: Path,
) -> None:
    text = POLICY.replace("escalation_policies:", "escalation_polices:") + (
        "route: {receiver: console}\ncorrelation:\n  resolve_gace: 10m\n"
    )

    assert problems_of(tmp_path, text) == [
        "3: escalation_polices: unknown section; did you mean 'escalation_policies'?",
        "8: correlation.resolve_gace: unknown field; did you mean 'resolve_grace'?",
    ]


def test_a_key_holding_anchors_must_start_with_x_and_then_merges_work(tmp_path: Path) -> None:
    anchors = "timing: &timing {group_wait: 10s, group_interval: 1m}\n"
    route = "route:\n  receiver: oncall\n  routes:\n    - {<<: *timing, matchers: ['a=\"1\"']}\n"

    [problem] = problems_of(tmp_path, anchors + route + POLICY)
    assert problem.startswith("1: timing: unknown section;")
    assert problem.endswith("(a key that only holds YAML anchors must start with x-)")
    loads(tmp_path, "x-" + anchors + route + POLICY)


def test_every_wrong_route_node_is_reported_at_the_line_of_its_key(tmp_path: Path) -> None:
    text = """\
route:
  receiver: oncall
  group_bye: [alertname]
  routes:
    - matchers: ['team="a"']
      routes:
        - machers: ['env="prod"']
          receiver: oncall
    - matchers: ['team="b"']
      group_wait: 30
      receiver: nobody
""" + POLICY.replace("steps: [", "repeat: -1\n    steps: [")

    assert problems_of(tmp_path, text) == [
        "3: route.group_bye: unknown field; did you mean 'group_by'?",
        "7: route.routes.0.routes.0.machers: unknown field; did you mean 'matchers'?",
        "10: route.routes.1.group_wait:"
        " not a valid duration string: '30' (expected e.g. 30s, 1h30m, 2d)",
        # receivers are checked once the router's sections are valid
        "16: escalation_policies.0.repeat: Input should be greater than or equal to 0",
    ]


def test_an_undefined_receiver_of_a_nested_route_is_reported_with_the_root_s(
    tmp_path: Path,
) -> None:
    text = "route:\n  receiver: nobody\n  routes:\n    - {continue: true, receiver: nope}\n"

    assert problems_of(tmp_path, text + POLICY) == [
        "2: route.receiver: undefined receiver 'nobody' used in route",
        "4: route.routes.0.receiver: undefined receiver 'nope' used in route",
    ]


def test_every_wrong_field_of_one_route_node_is_reported(tmp_path: Path) -> None:
    text = """\
route:
  receiver: nobody
  matchers: ['team="a"']
  group_wait: 5
  routes:
    - matchers: ['a=~"("']
      group_interval: abc
      receiver: nope
"""

    assert problems_of(tmp_path, text + POLICY) == [
        "2: route.receiver: undefined receiver 'nobody' used in route",
        "3: route.matchers: the root route must not have matchers",
        "4: route.group_wait: not a valid duration string: '5' (expected e.g. 30s, 1h30m, 2d)",
        '6: route.routes.0.matchers.0: matcher a=~"(": invalid regex: missing ),'
        " unterminated subpattern at position 0",
        "7: route.routes.0.group_interval:"
        " not a valid duration string: 'abc' (expected e.g. 30s, 1h30m, 2d)",
        "8: route.routes.0.receiver: undefined receiver 'nope' used in route",
    ]


def test_every_wrong_inhibit_rule_is_reported(tmp_path: Path) -> None:
    text = """\
route: {receiver: oncall}
inhibit_rules:
  - source_matcher: ['a="1"']
  - {source_matchers: ['a="1"'], target_matchers: ['b="2"'], equal: [instance]}
  - target_matchers: ['a=~"("']
"""

    problems = problems_of(tmp_path, text + POLICY)
    assert problems[0] == (
        "3: inhibit_rules.0.source_matcher: unknown field; did you mean 'source_matchers'?"
    )
    assert problems[1].startswith("5: inhibit_rules.2.target_matchers.0: ")
    assert len(problems) == 2


@pytest.mark.parametrize(
    ("route", "problem"),
    [
        ("route:\n", "1: route: expected a mapping, got nothing"),
        ("route: [oncall]\n", "1: route: expected a mapping, got list"),
        ("route: {receiver: oncall, routes: oncall}\n", "1: route.routes: expected a list"),
        ("route: {receiver: oncall}\ninhibit_rules: {equal: []}\n", "2: inhibit_rules: expected"),
    ],
)
def test_a_section_of_the_wrong_shape_is_one_problem(
    tmp_path: Path, route: str, problem: str
) -> None:
    [found] = problems_of(tmp_path, route + POLICY)
    assert found.startswith(problem)


def test_a_config_with_receivers_but_no_route_says_the_route_is_missing(tmp_path: Path) -> None:
    assert problems_of(tmp_path, POLICY) == [
        "1: route: missing: add a route whose receiver names a policy, channel, user or team"
    ]


def test_references_wait_until_no_section_is_misspelt(tmp_path: Path) -> None:
    # The route names a policy of the misspelt section: "undefined receiver" would be noise.
    misspelt = POLICY.replace("escalation_policies:", "escalation_polices:")
    text = misspelt + "route:\n  receiver: oncall\n  routes: [{receiver: oncall}]\n"

    assert problems_of(tmp_path, text) == [
        "3: escalation_polices: unknown section; did you mean 'escalation_policies'?",
    ]
    fixed = problems_of(
        tmp_path, POLICY + "route:\n  receiver: oncall\n  routes: [{receiver: nobody}]\n"
    )
    assert fixed == ["8: route.routes.0.receiver: undefined receiver 'nobody' used in route"]


def test_an_api_token_two_owners_share_is_placed_at_the_second_one(tmp_path: Path) -> None:
    text = POLICY + (
        "route: {receiver: oncall}\n"
        "users:\n"
        "  - {name: alice, token: same-token-00000001, contacts: [{type: console}]}\n"
        "  - {name: bob, token: same-token-00000001, contacts: [{type: console}]}\n"
        "api:\n"
        "  service_accounts:\n"
        "    - {name: chatops, token: same-token-00000001}\n"
    )

    shared = "user alice and user bob and account chatops share one token; give each its own"
    assert problems_of(tmp_path, text) == [
        f"9: users.1.token: {shared}",
        f"12: api.service_accounts.0.token: {shared}",
    ]


def test_a_shared_token_is_placed_after_its_first_owner_in_the_file(tmp_path: Path) -> None:
    text = POLICY + (
        "route: {receiver: oncall}\n"
        "api:\n"
        "  service_accounts:\n"
        "    - {name: chatops, token: same-token-00000001}\n"
        "users:\n"
        "  - {name: alice, token: same-token-00000001, contacts: [{type: console}]}\n"
    )

    assert problems_of(tmp_path, text) == [
        "11: users.0.token: account chatops and user alice share one token; give each its own",
    ]


def test_a_user_team_or_policy_defined_twice_is_refused(tmp_path: Path) -> None:
    text = (
        """\
route: {receiver: oncall}
users:
  - {name: alice, contacts: [{type: console}]}
  - {name: alice, contacts: [{type: console}]}
teams:
  - {name: sre, members: [alice]}
  - {name: sre, members: [alice]}
"""
        + POLICY
        + "  - {name: oncall, steps: [{notify: ['user:alice']}]}\n"
    )

    assert problems_of(tmp_path, text) == [
        "4: users.1.name: 'alice' is defined twice (first as users.0)",
        "7: teams.1.name: 'sre' is defined twice (first as teams.0)",
        "13: escalation_policies.1.name: 'oncall' is defined twice"
        " (first as escalation_policies.0)",
    ]


def test_field_problems_read_plainly_and_name_the_field_a_typo_meant(tmp_path: Path) -> None:
    text = """\
route: {receiver: oncall}
users:
  - name: alice
    time_zne: Europe/Berlin
    contacts: [{type: console}]
  - {name: bob, time_zone: Europe/Berlinn}
"""

    assert problems_of(tmp_path, text + POLICY) == [
        "4: users.0.time_zne: unknown field; did you mean 'time_zone'?",
        "6: users.1.time_zone: unknown time zone 'Europe/Berlinn';"
        " use an IANA name such as 'Europe/Berlin'",
    ]


def test_a_route_tree_deeper_than_the_limit_is_refused_not_a_recursion_error(
    tmp_path: Path,
) -> None:
    def tree(depth: int) -> str:
        text, indent = "route:\n  receiver: oncall\n", "  "
        for level in range(depth):
            text += f"{indent}routes:\n{indent}  - matchers: ['a=\"{level}\"']\n"
            indent += "    "
        return text

    loads(tmp_path, tree(MAX_ROUTE_DEPTH) + POLICY)
    [problem] = problems_of(tmp_path, tree(MAX_ROUTE_DEPTH + 1) + POLICY)
    assert problem.endswith(f".routes: routes nested deeper than {MAX_ROUTE_DEPTH} levels")


def test_a_tab_is_named_as_the_character_found(tmp_path: Path) -> None:
    assert problems_of(tmp_path, "route:\n\treceiver: oncall\n") == [
        "2: not valid YAML: found character '\\t' that cannot start any token"
    ]


def test_an_unclosed_quote_or_bracket_is_placed_where_it_begins(tmp_path: Path) -> None:
    quote = 'route:\n  receiver: oncall\n  matchers: ["a=b]\nchannels: {}\n'

    assert problems_of(tmp_path, quote) == [
        "3: not valid YAML: found unexpected end of stream while scanning a quoted scalar"
        " begun on line 3"
    ]
    [bracket] = problems_of(tmp_path, "route: [\n")
    assert bracket.startswith("1: not valid YAML: ")  # the file's only line, not past it


def test_two_documents_in_one_file_are_refused_saying_so(tmp_path: Path) -> None:
    [problem] = problems_of(tmp_path, "route: {receiver: a}\n---\nroute: {receiver: b}\n")
    assert problem.startswith("2: not valid YAML: ")
    assert "expected a single document" in problem


def test_rules_check_prints_each_problem_on_its_own_line_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tocsin.yaml"
    path.write_text("route: {receiver: oncall, group_bye: [a]}\nreceivers: []\n" + POLICY)

    with pytest.raises(SystemExit) as exited:
        main(["rules", "check", "--config", str(path)])

    assert exited.value.code == 1
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(": ", 2)[:2] for line in lines] == [
        [f"{path}:1", "route.group_bye"],
        [f"{path}:2", "receivers"],
    ]


def test_up_with_an_invalid_config_prints_the_same_problems_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "tocsin.yaml"
    path.write_text("route: {receiver: oncall}\nescalation_polices: []\n" + POLICY)
    data = tmp_path / "data"
    command = ["up", "--config", str(path), "--data", str(data), "--port", "0"]

    # a subprocess: were the config taken, `up` would serve until the timeout
    done = subprocess.run(
        [sys.executable, "-m", "services.cli.main", *command],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )

    assert done.returncode == 2
    assert f"{path}:2: escalation_polices: unknown section" in done.stderr
    assert "Traceback" not in done.stderr
    assert not data.exists()


def test_a_key_a_reader_would_not_see_is_shown_quoted(tmp_path: Path) -> None:
    path = tmp_path / "tocsin.yaml"
    path.write_text('"\\x0c|m": 1\n', encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_tocsin_config(path)
    [problem] = refused.value.problems
    assert problem.startswith(f"{path}:1: '\\x0c|m': unknown section")


def test_smtp_settings_the_email_channel_could_not_use_are_refused(tmp_path: Path) -> None:
    """Accepted, a reload of them stopped the process (the dispatcher could not build its
    email channel), and so did a start with them."""
    blank = 'route: {receiver: oncall}\nsmtp:\n  host: ""\n  sender: x\n'
    assert problems_of(tmp_path, blank + POLICY) == [
        "3: smtp.host: String should have at least 1 character",
        "4: smtp.sender: String should have at least 3 characters",
    ]
    half = "route: {receiver: oncall}\nsmtp: {host: mail.example.com, username: bob}\n"
    [problem] = problems_of(tmp_path, half + POLICY)
    assert "username and password must be set together" in problem


def test_a_regex_nesting_too_deeply_for_python_is_a_problem_at_its_line(tmp_path: Path) -> None:
    # RE2 takes 1,000 nested groups; Python's parser gives up near 480 (it was a traceback)
    deep = "(" * 700 + "x" + ")" * 700
    text = f"route:\n  receiver: oncall\n  routes:\n    - matchers: ['v=~\"{deep}\"']\n" + POLICY

    [problem] = problems_of(tmp_path, text)

    assert problem.startswith("4: route.routes.0.matchers.0: matcher v=~")
    assert problem.endswith("invalid regex: groups nest too deeply")
