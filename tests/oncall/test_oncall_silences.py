"""Silences: Alertmanager 0.25's states, matcher semantics and validation, with literal times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from services.cli.config_bundle import load_tocsin_config
from services.router.domain.matchers import parse_label_matcher
from services.router.domain.silences import Silence, silence_for, silence_state
from shared.config.yaml_source import ConfigError


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def silence(
    matchers: list[str],
    starts_at: str = "2026-03-29T00:00:00+01:00",
    ends_at: str = "2026-03-29T04:00:00+02:00",
    **extra: Any,
) -> Silence:
    raw = {
        "matchers": matchers,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "created_by": "alice",
        "comment": "payments database migration",
    }
    return Silence.model_validate({**raw, **extra})


# Berlin springs forward at 02:00 CET on 2026-03-29: the window is 23:00 to 02:00 UTC.
MIGRATION = silence(['service="payments-api"'])


@pytest.mark.parametrize(
    ("at", "state"),
    [
        ("2026-03-28T22:59:59", "pending"),
        ("2026-03-28T23:00:00", "active"),  # starts_at itself is active
        ("2026-03-29T01:30:00", "active"),  # 03:30 CEST, after the clocks jumped
        ("2026-03-29T02:00:00", "active"),  # ends_at itself is still active
        ("2026-03-29T02:00:00.000001", "expired"),
    ],
)
def test_silence_is_pending_then_active_then_expired_with_both_ends_active(
    at: str, state: str
) -> None:
    assert silence_state(MIGRATION, utc(at)) == state


def test_silence_across_the_autumn_fold_lasts_the_hour_its_offsets_say() -> None:
    # 02:30 happens twice on 2026-10-25 in Berlin; the offsets tell the two apart.
    fold = silence(
        ['service="payments-api"'],
        starts_at="2026-10-25T02:30:00+02:00",
        ends_at="2026-10-25T02:30:00+01:00",
    )
    assert fold.ends_at - fold.starts_at == timedelta(hours=1)
    assert silence_state(fold, utc("2026-10-25T01:00:00")) == "active"
    assert silence_state(fold, utc("2026-10-25T01:31:00")) == "expired"


def test_released_at_is_the_first_instant_the_silence_no_longer_mutes() -> None:
    assert MIGRATION.released_at == utc("2026-03-29T02:00:00.000001")
    assert silence_state(MIGRATION, MIGRATION.released_at) == "expired"


@pytest.mark.parametrize(
    ("matcher", "labels", "matches"),
    [
        ('service="payments-api"', {"service": "payments-api"}, True),
        ('service="payments-api"', {"service": "payments-api-2"}, False),
        ('env!="prod"', {}, True),  # a missing label is the empty string
        ('env!="prod"', {"env": "prod"}, False),
        ('owner=""', {}, True),
        ('owner=""', {"owner": "team-a"}, False),
        ('owner=~".+"', {}, False),
        ('team=~"db|"', {"team": "db"}, True),
        ('team=~"db|"', {}, True),
        ('team=~"db|cache-.*"', {"team": "dbx"}, False),  # anchored around the alternation
        ('team=~"db|cache-.*"', {"team": "my-cache-redis"}, False),
        ('team=~"db|cache-.*"', {"team": "cache-redis"}, True),
        ('severity!~"info|debug"', {}, True),
        ('severity!~"info|debug"', {"severity": "debug"}, False),
        ('region=~"(?i)EU-.*"', {"region": "eu-west"}, True),
        ("instance=node-7", {"instance": "node-7"}, True),  # unquoted value
        (r'summary="say \"hi\""', {"summary": 'say "hi"'}, True),
    ],
)
def test_matcher_semantics_follow_alertmanager(
    matcher: str, labels: dict[str, str], matches: bool
) -> None:
    assert parse_label_matcher(matcher).matches(labels) is matches


def test_silence_mutes_only_when_active_and_every_matcher_holds() -> None:
    both = silence(['service="payments-api"', 'env!="staging"'])
    during = utc("2026-03-29T01:00:00")

    assert silence_for([both], {"service": "payments-api"}, during) == both
    assert silence_for([both], {"service": "payments-api", "env": "staging"}, during) is None
    assert silence_for([both], {"service": "checkout"}, during) is None
    assert silence_for([both], {"service": "payments-api"}, utc("2026-03-28T22:00:00")) is None
    assert silence_for([both], {"service": "payments-api"}, utc("2026-03-29T03:00:00")) is None


def test_of_two_active_silences_the_one_ending_last_is_returned() -> None:
    short = silence(['service="payments-api"'], ends_at="2026-03-29T01:00:00Z")
    long = silence(['service=~"payments-.*"'], ends_at="2026-03-29T05:00:00Z")
    labels = {"service": "payments-api"}

    assert silence_for([short, long], labels, utc("2026-03-29T00:30:00")) == long
    assert silence_for([long, short], labels, utc("2026-03-29T00:30:00")) == long


@pytest.mark.parametrize(
    ("change", "location", "message"),
    [
        ({"matchers": []}, ("matchers",), "at least one matcher"),
        ({"matchers": ['env=~".*"']}, ("matchers",), "must not match the empty string"),
        ({"matchers": ['env=""', 'team=~"a|"']}, ("matchers",), "must not match the empty"),
        ({"matchers": ['a="b", c="d"']}, ("matchers", 0), "one matcher per list item"),
        ({"matchers": ["a=b,c=d"]}, ("matchers", 0), "one matcher per list item"),
        ({"matchers": ['{a="b"}']}, ("matchers", 0), "one matcher per list item"),
        ({"matchers": ['a="b']}, ("matchers", 0), "no closing double quote"),
        ({"matchers": ['a=b"c']}, ("matchers", 0), "unescaped double quote"),
        ({"matchers": ['a=~"("']}, ("matchers", 0), "invalid regex"),
        ({"matchers": ['a=~"(b)\\\\1"']}, ("matchers", 0), "RE2 has no backreferences"),
        # Alertmanager compiles a silence's regex without the anchors a route pastes around it.
        ({"matchers": ['env="prod"', 'a=~"b)|(c"']}, ("matchers",), "invalid regex"),
        ({"matchers": ['1a="b"']}, ("matchers", 0), "bad matcher"),
        ({"matchers": ['job:x="b"']}, ("matchers", 0), "bad matcher"),  # 0.25 silences: no ':'
        ({"ends_at": "2026-03-29T00:00:00+01:00"}, (), "ends_at must be after starts_at"),
        ({"ends_at": "2026-03-28T20:00:00Z"}, (), "ends_at must be after starts_at"),
        ({"starts_at": "2026-03-29T00:00:00"}, ("starts_at",), "timezone"),
        ({"created_by": ""}, ("created_by",), "at least 1 character"),
        ({"comment": ""}, ("comment",), "at least 1 character"),
        ({"id": "x"}, ("id",), "Extra inputs"),
    ],
)
def test_invalid_silence_names_field_and_problem(
    change: dict[str, Any], location: tuple[object, ...], message: str
) -> None:
    raw = {
        "matchers": ['service="payments-api"'],
        "starts_at": "2026-03-29T00:00:00+01:00",
        "ends_at": "2026-03-29T04:00:00+02:00",
        "created_by": "alice",
        "comment": "migration",
        **change,
    }
    with pytest.raises(ValidationError) as raised:
        Silence.model_validate(raw)
    [error] = raised.value.errors()
    assert (error["loc"], message in error["msg"]) == (location, True)


def test_lone_negative_matcher_is_accepted_as_in_alertmanager() -> None:
    # Only = and =~ are checked for matching the empty string, so this silences a lot.
    accepted = silence(['env!="prod"'])
    assert silence_for([accepted], {"alertname": "x"}, utc("2026-03-29T01:00:00")) == accepted


def test_silence_round_trips_through_json_as_matcher_strings() -> None:
    dumped = silence(['service="payments-api"', 'env=~"prod|"']).model_dump(mode="json")
    assert dumped["matchers"] == ['service="payments-api"', 'env=~"prod|"']
    assert Silence.model_validate(dumped) == silence(['service="payments-api"', 'env=~"prod|"'])


def test_bad_silence_in_config_file_is_reported_with_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "tocsin.yaml"
    path.write_text(
        "route: {receiver: console}\n"
        "channels: {console: {type: console}}\n"
        "silences:\n"
        "  - matchers: ['env=~\".*\"']\n"
        '    starts_at: "2026-03-29T00:00:00+01:00"\n'
        '    ends_at: "2026-03-29T04:00:00+02:00"\n'
        "    created_by: alice\n"
        "    comment: too wide\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as raised:
        load_tocsin_config(path)
    assert raised.value.problems == [
        f"{path}:4: silences.0.matchers: at least one matcher must not match "
        "the empty string, or the silence would mute every alert"
    ]
