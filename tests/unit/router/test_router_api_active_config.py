"""The incidents API's tokens and config silences follow config activations newer than the
one running; a config it cannot take leaves the one it had."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry

from services.correlator.rulesets import version_of
from services.router.api.active_config import ActiveApiConfig
from services.router.api.auth import Principal
from services.router.api.config import ApiConfig
from services.router.config import RouterConfig
from shared.events.incidents import RulesetActivated
from shared.runtime.config_rejections import config_rejections

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
ROUTER = RouterConfig.model_validate({"users": [{"name": "alice", "token": "alice-token-0001"}]})
WITH_CAROL = """\
users:
  - {name: carol, token: carol-token-0001}
api:
  service_accounts: [{name: chatops, token: chatops-token-0001}]
"""


def activated(text: str, at: datetime) -> RulesetActivated:
    return RulesetActivated(version=version_of(text), config=text, activated_at=at)


def test_a_newer_activation_replaces_users_and_service_accounts() -> None:
    active = ActiveApiConfig(ROUTER, ApiConfig(), started_at=T0)

    active.take(activated(WITH_CAROL, T0 + MINUTE))

    assert active.auth.authenticate("Bearer alice-token-0001") is None
    assert active.auth.authenticate("Bearer carol-token-0001") == Principal("carol", "user")
    assert active.auth.authenticate("Bearer chatops-token-0001") == Principal("chatops", "service")


def test_commands_may_name_the_users_of_the_active_config() -> None:
    active = ActiveApiConfig(ROUTER, ApiConfig(), started_at=T0)
    assert active.users() == frozenset({"alice"})

    active.take(activated(WITH_CAROL, T0 + MINUTE))

    assert active.users() == frozenset({"carol"})


def test_an_activation_as_old_as_the_config_running_changes_nothing() -> None:
    active = ActiveApiConfig(ROUTER, ApiConfig(), started_at=T0)

    active.take(activated(WITH_CAROL, T0))

    assert active.auth.authenticate("Bearer alice-token-0001") == Principal("alice", "user")
    assert active.auth.authenticate("Bearer carol-token-0001") is None


def test_a_config_with_a_shared_token_or_unreadable_leaves_the_one_running() -> None:
    active = ActiveApiConfig(ROUTER, ApiConfig(), started_at=T0)
    shared = WITH_CAROL.replace("chatops-token-0001", "carol-token-0001")

    active.take(activated(shared, T0 + MINUTE))
    active.take(activated("users: 7\n", T0 + 2 * MINUTE))

    assert active.auth.authenticate("Bearer alice-token-0001") == Principal("alice", "user")
    assert active.auth.authenticate("Bearer carol-token-0001") is None


def test_a_config_naming_a_variable_the_api_lacks_is_counted_as_refused() -> None:
    registry = CollectorRegistry()
    refused = config_rejections(registry).labels(reader="api")
    active = ActiveApiConfig(ROUTER, ApiConfig(), started_at=T0, rejected=refused)
    lacking = WITH_CAROL.replace("carol-token-0001", "${TEST_UNSET_CAROL_TOKEN}")

    active.take(activated(lacking, T0 + MINUTE))

    assert active.auth.authenticate("Bearer alice-token-0001") == Principal("alice", "user")
    assert registry.get_sample_value("tocsin_config_rejected_total", {"reader": "api"}) == 1
