"""The routing directory built from config: receivers → policies, targets → deliveries."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from services.router.config import ChannelConfig, ContactConfig, RouterConfig, UserConfig
from services.router.domain.policy import (
    Delivery,
    EscalationPolicy,
    EscalationStep,
)
from services.router.domain.schedules import shifts
from services.router.domain.silences import Silence, silence_for
from services.router.domain.urgency import (
    Urgency,
    page_now_or_when,
    step_release_at,
    urgency_of,
)

# Who is on call on a schedule at an instant (None: nobody), from the schedules module.
OnCallLookup = Callable[[str, datetime], str | None]


def user_channel(user: str, index: int) -> str:
    """The channel key of a person's contact method, as the dispatcher knows it."""
    return f"user/{user}/{index}"


class ConfigDirectory:
    def __init__(self, config: RouterConfig, on_call: OnCallLookup | None = None) -> None:
        self._config = config
        self._on_call = on_call
        self._policies = {
            p.name: EscalationPolicy(
                name=p.name,
                steps=tuple(EscalationStep(s.delay, tuple(s.notify)) for s in p.steps),
                repeat=p.repeat,
            )
            for p in config.escalation_policies
        }
        self._users = {u.name: u for u in config.users}
        self._teams = {t.name: t for t in config.teams}

    @property
    def default_receiver(self) -> str:
        return self._config.default_receiver or next(iter(self._config.channels), "")

    def policy_for(self, receiver: str) -> EscalationPolicy | None:
        """A receiver names a policy, a channel, a user or a team; a team runs its policy, and
        without one pages every member at once, as a channel or a user does."""
        if receiver in self._policies:
            return self._policies[receiver]
        team = self._teams.get(receiver)
        if team is not None and team.escalation_policy in self._policies:
            return self._policies[team.escalation_policy]
        kinds = (("channel", self._config.channels), ("user", self._users), ("team", self._teams))
        for kind, known in kinds:
            if receiver in known:
                target = f"{kind}:{receiver}"
                return EscalationPolicy(receiver, (EscalationStep(timedelta(0), (target,)),))
        return None

    def deliveries_for(self, target: str, at: datetime) -> list[Delivery]:
        kind, _, name = target.partition(":")
        if kind == "channel":
            return [Delivery(recipient=name, channel=name)] if name in self._config.channels else []
        if kind == "schedule":
            person = self._on_call(name, at) if self._on_call else None
            return self.deliveries_for(f"user:{person}", at) if person else []
        if kind == "team":
            team = self._teams.get(name)
            members = dict.fromkeys(team.members) if team is not None else {}
            return [d for member in members for d in self.deliveries_for(f"user:{member}", at)]
        user = self._users.get(name)
        if user is None:
            return []
        return [
            Delivery(recipient=name, channel=user_channel(name, index))
            for index in range(len(user.contacts))
        ]

    def silence_for(self, labels: Mapping[str, str], at: datetime) -> Silence | None:
        """The configured silence muting an alert with `labels` at `at`, if any."""
        return silence_for(self._config.silences, labels, at)

    def urgency_of(self, labels: Mapping[str, str]) -> Urgency:
        return urgency_of(self._config.urgency, labels)

    def resting_urgency(self) -> Urgency:
        policy = self._config.urgency
        return "low" if policy.rules or policy.default == "low" else "high"

    def page_at(self, delivery: Delivery, urgency: Urgency, at: datetime) -> datetime:
        """When `delivery`, due at `at`, may go out: a person's low-urgency page waits for their
        working hours; channels wake nobody and go out at once."""
        user = self.user_of(delivery)
        if user is None:
            return at
        hours = self._config.urgency.working_hours
        return page_now_or_when(urgency, user.time_zone, at, hours)

    def step_release_at(self, targets: Sequence[str], urgency: Urgency, at: datetime) -> datetime:
        """Until when a step with `targets`, due at `at`, waits for working hours (`at`: fire now).

        The first instant at which one of the people it pages now may be paged, or the next
        handoff of one of its schedules if that comes first: the caller then asks again, since
        whoever takes over may be within working hours.
        """
        if urgency == "high":  # pages anyone at any hour: nothing to look up
            return at
        deliveries = [d for target in targets for d in self.deliveries_for(target, at)]
        zones = [user.time_zone for user in map(self.user_of, deliveries) if user is not None]
        release = step_release_at(urgency, zones, at, self._config.urgency.working_hours)
        if release == at:
            return at
        schedules = [t.partition(":")[2] for t in targets if t.startswith("schedule:")]
        handoffs = [self._next_handoff(name, at, release) for name in schedules]
        return min([release, *(h for h in handoffs if h is not None)])

    def _next_handoff(self, schedule: str, at: datetime, until: datetime) -> datetime | None:
        """The schedule's next handoff, looked for up to `until` only (a walk to the default
        horizon, a year, held the loop for a second on a one-person hourly rotation)."""
        found = next((s for s in self._config.schedules if s.name == schedule), None)
        if found is None:
            return None
        upcoming = shifts(found, at, 1, horizon=until - at)
        return upcoming[0].ends_at if upcoming else None

    def user_of(self, delivery: Delivery) -> UserConfig | None:
        """The person a delivery pages, or None for a channel."""
        user = self._users.get(delivery.recipient)
        if user is None or not delivery.channel.startswith(f"user/{user.name}/"):
            return None
        return user

    def updates_for(self, delivery: Delivery) -> frozenset[str]:
        if self.user_of(delivery) is not None:
            return frozenset()
        channel = self._config.channels.get(delivery.channel)
        return frozenset(channel.updates) if channel is not None else frozenset()

    def contact_of(self, delivery: Delivery) -> ContactConfig | ChannelConfig | None:
        """The configured contact method or channel a delivery goes through."""
        user = self.user_of(delivery)
        if user is None:
            return self._config.channels.get(delivery.channel)
        index = int(delivery.channel.rsplit("/", 1)[1])
        return user.contacts[index] if index < len(user.contacts) else None
