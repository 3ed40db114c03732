"""Teams: a step's `team:NAME` pages every member; a route receiver naming a team runs the
team's escalation policy, or without one pages every member at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from services.router.config import RouterConfig
from services.router.directory import ConfigDirectory
from services.router.domain.engine import step
from services.router.domain.policy import Delivery, EscalationStep
from services.router.domain.state import RouterState
from tests.unit.router.test_router_holds import NIGHT, opened, pages

PEOPLE: list[dict[str, Any]] = [
    {"name": "alice", "contacts": [{"type": "console"}, {"type": "email", "address": "a@x.io"}]},
    {"name": "bob", "contacts": [{"type": "console"}]},
    {"name": "carol", "contacts": [{"type": "console"}]},
]


def directory(
    team: dict[str, Any], policies: list[dict[str, Any]] | None = None
) -> ConfigDirectory:
    config = {"users": PEOPLE, "teams": [team], "escalation_policies": policies or []}
    return ConfigDirectory(RouterConfig.model_validate(config))


def test_a_team_target_pages_every_member_through_each_contact_once() -> None:
    sre = directory({"name": "sre", "members": ["bob", "alice", "bob"]})
    assert sre.deliveries_for("team:sre", NIGHT) == [
        Delivery("bob", "user/bob/0"),
        Delivery("alice", "user/alice/0"),
        Delivery("alice", "user/alice/1"),
    ]


def test_a_receiver_naming_a_team_runs_its_escalation_policy() -> None:
    policy = {"name": "sre-policy", "steps": [{"notify": ["user:carol"]}]}
    sre = directory(
        {"name": "sre", "members": ["bob"], "escalation_policy": "sre-policy"}, [policy]
    )
    found = sre.policy_for("sre")
    assert found is not None and found.name == "sre-policy"
    assert found.steps == (EscalationStep(timedelta(0), ("user:carol",)),)


def test_a_team_without_a_policy_pages_every_member_at_once() -> None:
    # Given a team of alice and bob without an escalation policy
    sre = directory({"name": "sre", "members": ["alice", "bob"]})
    # When an incident routed to the team opens
    incident = opened(NIGHT, timedelta(0)).model_copy(update={"receivers": ["sre"]})
    decided = step(RouterState(), incident, NIGHT, sre)
    # Then both are paged at once, alice through both of her contacts
    assert pages(decided) == ["alice", "alice", "bob"]
