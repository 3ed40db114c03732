"""Who may call the incidents API: user and service-account bearer tokens, the `api:` config."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.router.api.auth import Principal, TokenAuth
from services.router.api.config import ApiConfig, load_api_config
from services.router.config import RouterConfig
from shared.config.yaml_source import ConfigError, parse_config_text

ROUTER = RouterConfig.model_validate(
    {"users": [{"name": "alice", "token": "alice-token-0001"}, {"name": "bob"}]}
)
API = ApiConfig.model_validate(
    {"service_accounts": [{"name": "chatops", "token": "chatops-token-0001"}]}
)
AUTH = TokenAuth.from_config(ROUTER, API)


def test_user_and_service_account_tokens_name_the_actor() -> None:
    alice = AUTH.authenticate("Bearer alice-token-0001")
    bot = AUTH.authenticate("bearer chatops-token-0001")
    assert alice == Principal("alice", "user") and alice.actor == "alice"
    assert bot == Principal("chatops", "service") and bot.actor == "service:chatops"


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer ", "Basic alice-token-0001", "alice-token-0001", "Bearer nope"],
)
def test_missing_malformed_or_unknown_tokens_authenticate_nobody(header: str | None) -> None:
    assert AUTH.authenticate(header) is None


def test_a_token_shared_by_two_principals_is_refused() -> None:
    api = ApiConfig.model_validate(
        {"service_accounts": [{"name": "bot", "token": "alice-token-0001"}]}
    )
    with pytest.raises(ValueError, match="alice, service:bot"):
        TokenAuth.from_config(ROUTER, api)


def test_api_section_defaults_when_absent() -> None:
    config = load_api_config(parse_config_text("users: []\n", "t.yaml"))
    assert config.link_lifetime == timedelta(hours=24)
    assert config.command_wait == timedelta(seconds=5)
    assert config.service_accounts == []


def test_api_section_reads_durations_and_names_the_line_of_a_problem() -> None:
    text = "api:\n  link_lifetime: 2h\n  service_accounts:\n    - {name: bot, token: short}\n"
    with pytest.raises(ConfigError) as invalid:
        load_api_config(parse_config_text(text, "t.yaml"))
    assert invalid.value.problems == [
        "t.yaml:4: api.service_accounts.0.token:"
        " a service account token needs at least 16 characters"
    ]
    fine = "api:\n  link_lifetime: 2h\n"
    assert load_api_config(parse_config_text(fine, "t.yaml")).link_lifetime == timedelta(hours=2)
