"""`receivers_line` prints exactly what the real `amtool config routes test` (0.25) prints.

Runs the Debian package's amtool as a subprocess per label set (~20 ms each). A missing amtool
is a failure, not a skip: this test is what keeps Tocsin's routing honest.
"""

from __future__ import annotations

import functools
import random
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.cli.commands_rules import parse_label_args
from services.cli.config_bundle import load_tocsin_config
from services.correlator.domain.alertmanager import Route, parse_route, receivers_line
from services.router.domain.matchers import parse_label_matcher
from shared.config.yaml_source import ConfigError, parse_config_text

AMTOOL = shutil.which("amtool") or "/usr/bin/amtool"

CONFIG = """
route:
  receiver: default
  group_by: [alertname]
  routes:
    - matchers: ['audit!="off"']          # missing audit label is "", so this usually matches
      receiver: audit
      continue: true
    - match_re: {service: "db|cache-.*"}  # legacy, anchored
      receiver: db
      routes:
        - matchers: ['severity="critical"']
          receiver: db-pager
          continue: true
        - matchers: ['env=~"prod|staging"', 'owner=""']
          receiver: db
        - match: {env: dev}
          receiver: dev-null
    - matchers: ['{team="web", env!~"dev|test"}']
      receiver: web
      continue: true
      routes:
        - matchers: ['severity=~"(?i)crit.*"']
          receiver: web-pager
    - matchers: ['team=~"web|"', 'severity!="info"']
      receiver: default-pager
    - matchers: [team=payments]
      receiver: db
    - matchers: ['owner=~".+"']
      receiver: owners
receivers:
  - name: default
  - name: audit
  - name: db
  - name: db-pager
  - name: dev-null
  - name: web
  - name: web-pager
  - name: default-pager
  - name: owners
"""

FIXED_LABEL_SETS: list[dict[str, str]] = [
    {},
    {"audit": "off"},
    {"audit": "off", "service": "db"},
    {"service": "dbx"},
    {"service": "my-cache-redis", "audit": "off", "severity": "info"},
    {"service": "cache-redis", "severity": "critical", "env": "prod"},
    {"service": "db", "severity": "critical", "env": "prod", "owner": "ana"},
    {"service": "db", "env": "dev"},
    {"service": "db", "env": "staging", "audit": "off"},
    {"team": "web", "severity": "CRITICAL", "env": "prod"},
    {"team": "web", "env": "dev", "severity": "warning"},
    {"team": "payments", "severity": "info", "audit": "off"},
    {"team": "payments", "audit": "off", "owner": "bo"},
    {"team": "", "severity": "info", "owner": "bo"},  # amtool keeps an empty-valued label
]

_POOLS = {
    "alertname": ["DiskFull", "HighLatency"],
    "service": ["db", "cache-redis", "my-cache-redis", "dbx", "web"],
    "severity": ["critical", "CRITICAL", "crit", "warning", "info"],
    "env": ["prod", "staging", "dev", "test"],
    "team": ["web", "payments", "db"],
    "owner": ["ana"],
    "audit": ["off", "on"],
}


def _generated_label_sets(count: int, seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)  # seeded: the same cases on every run
    return [
        {name: rng.choice(values) for name, values in _POOLS.items() if rng.random() < 0.5}
        for _ in range(count)
    ]


LABEL_SETS = FIXED_LABEL_SETS + _generated_label_sets(20, seed=20230409)

# RE2 spellings that Python's `re` reads differently; every route continues, so the line lists
# every regex that matched.
REGEX_CONFIG = r"""
route:
  receiver: none
  routes:
    - {matchers: ['v=~"x{,2}"'], receiver: brace, continue: true}
    - {matchers: ['v=~"\d+"'], receiver: digits, continue: true}
    - {matchers: ['v=~"ab(?i)c|d"'], receiver: flag, continue: true}
    - {matchers: ['v=~"\Qa.b\E"'], receiver: quoted, continue: true}
    - {matchers: ['v=~"[[:alpha:]_]+"'], receiver: posix, continue: true}
    - {matchers: ['v=~"\x{41}\101"'], receiver: hex, continue: true}
    - {match_re: {v: "db|cache-.*"}, receiver: legacy, continue: true}
    - {matchers: ['v=~"a)|(b"'], receiver: pasted, continue: true}
    - {match_re: {v: '[\w-.]+'}, receiver: host, continue: true}
    - {match_re: {v: '\s'}, receiver: space, continue: true}
    - {match_re: {v: 'a$\s*'}, receiver: dollar, continue: true}
    - {match_re: {v: '(?m)a$\s*'}, receiver: lines, continue: true}
    - {matchers: ["v=critical\u00a0"], receiver: nbsp, continue: true}
    - {match_re: {v: '(?i)[\wé]+'}, receiver: folded, continue: true}
    - {match_re: {v: '(?i)\W'}, receiver: folded-not-word, continue: true}
    - {match_re: {v: '\B'}, receiver: nonboundary, continue: true}
    - {match_re: {v: '[a-z]+-[0-9]+'}, receiver: two-repeats, continue: true}
    - {match_re: {v: '(?i)(ab)+c?|.*x.*y.*'}, receiver: repeated-group, continue: true}
    - {match_re: {v: '.*(?m)a$\s*'}, receiver: backtracking-lines, continue: true}
    - {matchers: [null, 'v=~"node.*"'], receiver: nulls, continue: null}
    - {matchers: ['v=~"node.*"'], receiver: after-nulls}
receivers: [{name: none}, {name: brace}, {name: digits}, {name: flag}, {name: quoted},
            {name: posix}, {name: hex}, {name: legacy}, {name: pasted}, {name: host},
            {name: space}, {name: dollar}, {name: lines}, {name: nbsp}, {name: nulls},
            {name: after-nulls}, {name: folded}, {name: folded-not-word}, {name: nonboundary},
            {name: two-repeats}, {name: repeated-group}, {name: backtracking-lines}]
"""
REGEX_VALUES = ["x{,2}", "xx", "42", "٤٢", "D", "ABC", "abC", "a.b", "axb", "ab_C", "AA", "dbx"]
REGEX_VALUES += ["db", "cache-1", "my-cache-1", "", "a", "axx", "xxb", "c"]
REGEX_VALUES += ["node-1.eu", "\x0b", " ", "a\n", "critical", "x-y", "É", "\u017f", "\u212a"]
REGEX_VALUES += ["abAB", "ABABc", "node-12", "Node-1", "axxy", "a\nb", "ab\na"]

# Regexes whose validity differs between Python's `re` and Go's RE2. Alertmanager compiles route
# and silence regexes with RE2 alike, so Tocsin's routes and silences must both follow amtool.
# (`\p{..}` and `(?U)` are left out: RE2 has them, Tocsin refuses them on purpose.)
VALIDITY_REGEXES = [r"(a)\1", "x(?=y)", "(?<!x)y", "(?>ab)", "a++", "a{1001}", "(", r"a\Z"]
VALIDITY_REGEXES += ["ab(?i)c|d", r"\Qa.b\E", "[[:alpha:]_]+", r"\x{41}\101", "x{,2}", "a{1000}"]
VALIDITY_REGEXES += ["a)|(b"]  # valid only once pasted into `^(?:...)$`, as routes do
VALIDITY_REGEXES += [r"[\w-.]+", r"[\d-z]", r"[[:alpha:]-.]", r"a$\n", r"(?m)a$\n"]
VALIDITY_REGEXES += ["(?P<1a>x)", "(?P<n>y)(?P<n>z)", "(?P<é>x)", "(?P<host_1>x)"]
VALIDITY_REGEXES += ["(?:a{100}){100}", "((a{100}){10}){10}", "(?:a{10}){100}", "(x+x+)+y"]
VALIDITY_REGEXES += [".*a.*b.*c.*", r"[\w-.]+\.[a-z]{2,}", "(?P<n>y+)(?P<n>z+)"]


@functools.cache
def _amtool_problem() -> str | None:
    if not Path(AMTOOL).exists():
        return "amtool (Alertmanager 0.25) is missing: apt-get install prometheus-alertmanager"
    version = subprocess.run([AMTOOL, "--version"], capture_output=True, text=True, check=True)
    if "version 0.25." not in version.stdout + version.stderr:
        return f"amtool must be Alertmanager 0.25, found: {version.stdout}{version.stderr}"
    return None


def _amtool() -> str:
    # called inside each test, not in a fixture, so a missing amtool is FAILED rather than ERROR
    problem = _amtool_problem()
    if problem is not None:
        pytest.fail(problem, pytrace=False)
    return AMTOOL


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("amtool") / "alertmanager.yml"
    path.write_text(CONFIG)
    return path


@pytest.fixture(scope="module")
def regex_config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("amtool") / "regex.yml"
    path.write_text(REGEX_CONFIG)
    return path


@pytest.fixture(scope="module")
def tree() -> Route:
    config = yaml.safe_load(CONFIG)
    return parse_route(config["route"], receivers=[r["name"] for r in config["receivers"]])


def _amtool_receivers(config_file: Path, labels: dict[str, str]) -> str:
    # quoted, so values such as `x{,2}` reach amtool's label parser intact
    args = [f'{name}="{value}"' for name, value in labels.items()]
    command = [_amtool(), "config", "routes", "test", f"--config.file={config_file}", *args]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=10)
    return done.stdout.removesuffix("\n")


@pytest.mark.parametrize("labels", LABEL_SETS, ids=[str(i) for i in range(len(LABEL_SETS))])
def test_receivers_line_equals_amtool_output(
    config_file: Path, tree: Route, labels: dict[str, str]
) -> None:
    # given a label set, when both route it, then they print the same receivers line
    assert receivers_line(tree, labels) == _amtool_receivers(config_file, labels)


@pytest.mark.parametrize("value", REGEX_VALUES)
def test_re2_regexes_match_what_amtool_matches(regex_config_file: Path, value: str) -> None:
    tree = parse_route(yaml.safe_load(REGEX_CONFIG)["route"])

    assert receivers_line(tree, {"v": value}) == _amtool_receivers(regex_config_file, {"v": value})


def test_parity_cases_cover_fan_out_and_the_duplicated_receiver(tree: Route) -> None:
    # guards the value of the comparison above: the cases must exercise the interesting paths
    lines = {receivers_line(tree, labels) for labels in LABEL_SETS}

    assert "audit,db-pager,db" in lines  # continue at two levels
    assert "audit,web-pager,default-pager" in lines  # parent's continue applies after its child
    assert "audit,web,default-pager" in lines  # parent with continue handles it, then a sibling
    assert "audit,db" in lines  # legacy match_re parent handles it itself
    assert "db" in lines  # payments route reuses the db receiver
    assert "default" in lines


@pytest.mark.parametrize("regex", VALIDITY_REGEXES)
def test_routes_and_silences_accept_exactly_the_regexes_amtool_accepts(
    tmp_path: Path, regex: str
) -> None:
    # given one regex matcher, when amtool checks it in a route and Tocsin parses it both as a
    # route matcher and as a silence matcher, then all three agree on whether it is valid
    text = 'v=~"' + regex.replace("\\", "\\\\") + '"'
    route = {"receiver": "r", "routes": [{"receiver": "r", "matchers": [text]}]}
    path = tmp_path / "alertmanager.yml"
    path.write_text(yaml.safe_dump({"route": route, "receivers": [{"name": "r"}]}))
    command = [_amtool(), "check-config", str(path)]
    checked = subprocess.run(command, capture_output=True, timeout=10, check=False)

    amtool_accepts = checked.returncode == 0
    assert (_accepts(parse_route, route), _accepts(parse_label_matcher, text)) == (
        amtool_accepts,
        amtool_accepts,
    )


def _accepts(parse: Callable[[Any], object], value: object) -> bool:
    try:
        parse(value)
    except ValueError:
        return False
    return True


# Label arguments as typed on a command line: amtool reads each as an equality matcher.
RAW_LABEL_ARGS = [
    ["team=db"],
    ['team="db"', "severity=critical"],
    ["team=", "severity=page"],
    ["team=db=x"],
    ["team=d b", "owner=bo"],
    ['team="d\\"b"'],
    ["  team = db  "],
    ["team=~db"],
    ["team!=db"],
    ["team!~db"],
    ["1team=db"],
    ["{team=db}"],
    ["é=db"],
    ["team"],
    ['team="db'],
]


@pytest.mark.parametrize("args", RAW_LABEL_ARGS, ids=[" ".join(a) for a in RAW_LABEL_ARGS])
def test_label_arguments_are_read_and_refused_as_amtool_reads_them(
    config_file: Path, tree: Route, args: list[str]
) -> None:
    command = [_amtool(), "config", "routes", "test", f"--config.file={config_file}", *args]
    amtool = subprocess.run(command, capture_output=True, text=True, timeout=10)

    try:
        ours: str | None = receivers_line(tree, parse_label_args(args))
    except ValueError as refused:
        assert str(refused).startswith("Failed to parse labels: ")
        ours = None

    assert amtool.returncode in (0, 1), amtool.stderr
    assert ours == (amtool.stdout.removesuffix("\n") if amtool.returncode == 0 else None)


# Legacy maps with values YAML reads as numbers, booleans or null: Go's decoder keeps each
# as written ("1.50", "yes", "0x1F") and null as "".
SCALARS_CONFIG = """
route:
  receiver: default
  routes:
    - {match: {version: 1.50}, receiver: decimal}
    - {match: {code: 0x1F}, receiver: hex}
    - {match: {flag: yes}, receiver: yes-flag}
    - {match_re: {ratio: 1e3|2}, receiver: regex}
    - {match: {big: 1e3}, receiver: exponent}
    - {match: {empty: null, other: ~}, receiver: nothing}
receivers:
  - name: default
  - name: decimal
  - name: hex
  - name: yes-flag
  - name: regex
  - name: exponent
  - name: nothing
"""
SCALAR_LABEL_SETS: list[dict[str, str]] = [
    {"version": "1.50", "empty": "x"},
    {"version": "1.5", "empty": "x"},
    {"code": "0x1F", "empty": "x"},
    {"code": "31", "empty": "x"},
    {"flag": "yes", "empty": "x"},
    {"flag": "true", "empty": "x"},
    {"ratio": "1e3", "empty": "x"},
    {"big": "1e3", "empty": "x"},
    {"big": "1000.0", "empty": "x"},
    {"other": "x"},
    {},
]


@pytest.mark.parametrize("labels", SCALAR_LABEL_SETS, ids=str)
def test_legacy_map_values_read_as_amtool_reads_them(
    tmp_path: Path, labels: dict[str, str]
) -> None:
    """Refused before ("expected a quoted string") or read as Python's numbers (1.50 as
    "1.5"): every Tocsin config is read through `parse_config_text`, the rule sets on the log
    too."""
    path = tmp_path / "alertmanager.yml"
    path.write_text(SCALARS_CONFIG)
    config = parse_config_text(SCALARS_CONFIG, str(path)).data
    tree = parse_route(config["route"], receivers=[r["name"] for r in config["receivers"]])

    assert receivers_line(tree, labels) == _amtool_receivers(path, labels)


@pytest.mark.parametrize("rule", ["match_re", "source_match_re", "target_match_re"])
def test_a_null_regex_in_a_legacy_map_is_refused_as_amtool_refuses_it(
    tmp_path: Path, rule: str
) -> None:
    """`match: {v: null}` reads as "" (above); `match_re: {v: null}` Alertmanager refuses
    ("invalid regexp value"), where Tocsin read "" and took every alert."""
    if rule == "match_re":
        text = "route:\n  receiver: r\n  routes:\n    - {receiver: r, match_re: {v: null}}\n"
    else:
        text = f"route: {{receiver: r}}\ninhibit_rules:\n  - {{{rule}: {{v: null}}}}\n"
    path = tmp_path / "alertmanager.yml"
    path.write_text(text + "receivers: [{name: r}]\n")
    checked = subprocess.run([_amtool(), "check-config", str(path)], capture_output=True)
    assert checked.returncode != 0

    ours = tmp_path / "tocsin.yaml"
    ours.write_text(text)
    with pytest.raises(ConfigError) as refused:
        load_tocsin_config(ours)
    assert f"{rule}.v: expected a quoted string" in str(refused.value)
