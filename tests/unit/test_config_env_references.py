"""`${NAME}` in a config value reads the environment variable NAME: secrets stay out of the
file, and the config text (pinned on the log as written) keeps the reference, not the secret."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from services.cli.config_bundle import load_tocsin_config
from services.cli.main import main
from services.correlator.rulesets import policy_from_text, version_of
from shared.config.env_references import expand_references
from shared.events.incidents import IncidentOpened
from tests.unit.correlator.correlator_world import Partition, alert, at
from tests.unit.test_config_file_checks import POLICY, problems_of

CONFIG = """\
integrations:
  - name: prom
    type: alertmanager
    token: ${TEST_PROM_TOKEN}
  - {name: scripts, type: canonical, token: "pre-${TEST_PART}-post"}
route: {receiver: oncall}
""" + POLICY.replace(
    "console: {type: console}",
    'hook: {type: webhook, url: "${TEST_HOOK_URL}", secret: "${TEST_HOOK_SECRET}"}',
).replace("channel:console", "channel:hook")


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_PROM_TOKEN", "prom-secret-1")
    monkeypatch.setenv("TEST_PART", "middle")
    monkeypatch.setenv("TEST_HOOK_URL", "https://hooks.example.com/T0/B1/abc")
    monkeypatch.setenv("TEST_HOOK_SECRET", "hmac-secret-2")


@pytest.mark.usefixtures("environment")
def test_references_read_the_environment_and_the_text_keeps_them(tmp_path: Path) -> None:
    path = tmp_path / "tocsin.yaml"
    path.write_text(CONFIG)

    config = load_tocsin_config(path)

    tokens = [i.token.get_secret_value() for i in config.ingest.integrations]
    assert tokens == ["prom-secret-1", "pre-middle-post"]
    hook = config.router.channels["hook"]
    assert str(hook.url) == "https://hooks.example.com/T0/B1/abc"  # type: ignore[union-attr]
    assert "${TEST_PROM_TOKEN}" in config.text and "${TEST_HOOK_URL}" in config.text
    for secret in ("prom-secret-1", "hooks.example.com", "hmac-secret-2"):
        assert secret not in config.text


@pytest.mark.usefixtures("environment")
def test_an_unset_variable_is_named_with_its_line_and_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TEST_PROM_TOKEN")
    assert problems_of(tmp_path, CONFIG) == [
        "4: integrations.0.token: environment variable TEST_PROM_TOKEN is not set"
    ]


@pytest.mark.usefixtures("environment")
def test_rules_check_says_which_variable_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TEST_HOOK_SECRET")
    path = tmp_path / "tocsin.yaml"
    path.write_text(CONFIG)

    with pytest.raises(SystemExit) as exited:
        main(["rules", "check", "--config", str(path)])

    assert exited.value.code != 0
    assert "environment variable TEST_HOOK_SECRET is not set" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("$${NOT_A_REFERENCE}", "${NOT_A_REFERENCE}"),
        ("cost: $5 and $HOME", "cost: $5 and $HOME"),
        ("a $ {SPACED} one", "a $ {SPACED} one"),
        ("${A}${B}", "ab"),
    ],
)
def test_only_dollar_brace_names_are_references(written: str, read: str) -> None:
    problems: list[str] = []
    expanded = expand_references(
        {"key ${A}": [written]}, lambda where, why: problems.append(why), {"A": "a", "B": "b"}
    )
    assert expanded == {"key ${A}": [read]} and problems == []


@pytest.mark.parametrize("name", ["", "1ST", "WITH-DASH", "A B"])
def test_a_reference_without_a_variable_name_is_refused_without_echoing_it(name: str) -> None:
    problems: list[tuple[tuple[str | int, ...], str]] = []
    expand_references({"x": [f"${{{name}}}"]}, lambda where, why: problems.append((where, why)), {})
    [(where, why)] = problems
    assert where == ("x", 0) and "names no environment variable" in why and "$${" in why
    assert not name or name not in why  # it may be part of a secret written as is


@pytest.mark.parametrize("written", ["${ALERTMANAGER_TOKEN", "tok${", "${A}${B" + "${" * 5000])
def test_a_reference_without_its_closing_brace_is_refused(written: str) -> None:
    problems: list[str] = []
    expand_references({"token": written}, lambda where, why: problems.append(why), {"A": "a"})
    assert problems == ["a `${` without its `}`; write $${ for a literal ${"]


def test_what_an_alias_repeats_is_read_once(tmp_path: Path) -> None:
    """An alias stands for the same value wherever it is used: read once (a few bytes of
    aliases can stand for billions of values), and a missing variable in it said once."""
    uses = ", ".join(["*hook"] * 200)
    text = f"x-hooks: [&hook {{url: '${{TEST_UNSET_URL}}'}}, [{uses}], [{uses}]]\n"
    problems: list[tuple[tuple[str | int, ...], str]] = []

    expand_references(parse_yaml_document(text), lambda w, why: problems.append((w, why)), {})

    assert problems == [(("x-hooks", 0, "url"), "environment variable TEST_UNSET_URL is not set")]
    expanded = expand_references(
        parse_yaml_document(text), lambda w, why: None, {"TEST_UNSET_URL": "https://h"}
    )
    first, second = expanded["x-hooks"][1], expanded["x-hooks"][2]
    assert first[0] is first[199] is second[0] and first[0] == {"url": "https://h"}


def parse_yaml_document(text: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def test_the_correlator_reads_the_references_of_a_rule_set_on_the_log(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A reload writes the file's text as written: the correlator reads `${TEST_TEAM}` from
    its environment, as `rules check` and the router do, and routes alike."""
    monkeypatch.setenv("TEST_TEAM", "payments")
    text = (
        "route:\n  receiver: other\n  group_wait: 0s\n"
        "  routes: [{matchers: ['team=\"${TEST_TEAM}\"'], receiver: pay}]\n"
    )
    policy = policy_from_text(text, version_of(text))
    assert not isinstance(policy, str)

    [opened] = Partition(policy).feed(alert("Disk", team="payments"), at(0))

    assert isinstance(opened, IncidentOpened) and opened.receivers == ["pay"]
