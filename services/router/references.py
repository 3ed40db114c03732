"""What the router's config names must exist: the users, schedules, teams, channels and
policies that steps, schedules, teams and the default receiver refer to. A typo (`user:alicia`)
would otherwise page nobody until the day it is needed; `tocsin rules check` reports it with
the file, line and field."""

from __future__ import annotations

from collections.abc import Iterator

from services.router.config import RouterConfig

Location = tuple[str | int, ...]
Problem = tuple[Location, str]


def reference_problems(config: RouterConfig) -> list[Problem]:
    return [*_step_targets(config), *_schedule_people(config), *_teams(config), *_default(config)]


def receivers_of(config: RouterConfig) -> set[str]:
    """What a route's `receiver` may name: a policy, a channel, a user or a team."""
    names = {p.name for p in config.escalation_policies} | set(config.channels)
    return names | {u.name for u in config.users} | {t.name for t in config.teams}


def _step_targets(config: RouterConfig) -> Iterator[Problem]:
    known = {
        "user": {u.name for u in config.users},
        "schedule": {s.name for s in config.schedules},
        "team": {t.name for t in config.teams},
        "channel": set(config.channels),
    }
    for p, policy in enumerate(config.escalation_policies):
        for s, step in enumerate(policy.steps):
            for t, target in enumerate(step.notify):
                kind, _, name = target.partition(":")
                if name not in known.get(kind, set()):
                    where: Location = ("escalation_policies", p, "steps", s, "notify", t)
                    yield where, f"no {kind} named {name!r} in the config"


def _schedule_people(config: RouterConfig) -> Iterator[Problem]:
    users = {u.name for u in config.users}
    for s, schedule in enumerate(config.schedules):
        for layer_index, layer in enumerate(schedule.layers):
            for u, user in enumerate(layer.users):
                if user not in users:
                    where: Location = ("schedules", s, "layers", layer_index, "users", u)
                    yield where, f"no user named {user!r} in the config"
        for o, override in enumerate(schedule.overrides):
            if override.user not in users:
                where = ("schedules", s, "overrides", o, "user")
                yield where, f"no user named {override.user!r} in the config"


def _teams(config: RouterConfig) -> Iterator[Problem]:
    users = {u.name for u in config.users}
    policies = {p.name for p in config.escalation_policies}
    for t, team in enumerate(config.teams):
        for m, member in enumerate(team.members):
            if member not in users:
                yield ("teams", t, "members", m), f"no user named {member!r} in the config"
        if team.escalation_policy is not None and team.escalation_policy not in policies:
            message = f"no escalation policy named {team.escalation_policy!r} in the config"
            yield ("teams", t, "escalation_policy"), message


def _default(config: RouterConfig) -> Iterator[Problem]:
    default = config.default_receiver
    if default is not None and default not in receivers_of(config):
        yield ("default_receiver",), f"no policy, channel, user or team named {default!r}"
