"""`tocsin rules check` refuses a config whose steps, schedules, teams or default receiver name
a user, schedule, team, channel or policy that does not exist: each with its file, line and
field, rather than paging nobody on the day it matters."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.cli.config_bundle import load_tocsin_config
from shared.config.yaml_source import ConfigError

CONFIG = """\
route: {receiver: sre}
channels: {ops: {type: console}}
users:
  - {name: alice, contacts: [{type: console}]}
teams:
  - {name: sre, members: [alice, alicia], escalation_policy: sre-pager}
schedules:
  - name: primary
    time_zone: Europe/Berlin
    layers:
      - {name: weekly, users: [alice, bobby], rotation: weekly, start: "2026-11-02T09:00"}
escalation_policies:
  - name: team
    steps:
      - {notify: ["user:alicia", "schedule:primary", "team:ops", "channel:ops"]}
default_receiver: nobody
"""


def test_every_dangling_name_is_reported_with_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "tocsin.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_tocsin_config(path)
    assert raised.value.problems == [
        f"{path}:6: teams.0.members.1: no user named 'alicia' in the config",
        f"{path}:6: teams.0.escalation_policy:"
        " no escalation policy named 'sre-pager' in the config",
        f"{path}:11: schedules.0.layers.0.users.1: no user named 'bobby' in the config",
        f"{path}:15: escalation_policies.0.steps.0.notify.0: no user named 'alicia' in the config",
        f"{path}:15: escalation_policies.0.steps.0.notify.2: no team named 'ops' in the config",
        f"{path}:16: default_receiver: no policy, channel, user or team named 'nobody'",
    ]


def test_a_route_may_name_a_team_as_its_receiver(tmp_path: Path) -> None:
    path = tmp_path / "tocsin.yaml"
    path.write_text(
        "route: {receiver: sre}\n"
        "users: [{name: alice, contacts: [{type: console}]}]\n"
        "teams: [{name: sre, members: [alice]}]\n",
        encoding="utf-8",
    )
    assert [t.name for t in load_tocsin_config(path).router.teams] == ["sre"]


def test_dangling_names_are_reported_in_the_same_run_as_errors_of_other_sections(
    tmp_path: Path,
) -> None:
    # Given a config wrong in two places: an integration of no known type, and a dangling name
    path = tmp_path / "tocsin.yaml"
    wrong_type = "integrations:\n  - {name: prom, type: nagios, token: t0123456789}\n"
    path.write_text(wrong_type + CONFIG, encoding="utf-8")

    with pytest.raises(ConfigError) as raised:
        load_tocsin_config(path)

    # Then one run names both, each with its line
    problems = raised.value.problems
    assert any(p.startswith(f"{path}:2: integrations.0.type:") for p in problems), problems
    assert f"{path}:18: default_receiver: no policy, channel, user or team named 'nobody'" in (
        problems
    )
