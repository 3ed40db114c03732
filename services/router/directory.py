"""The routing directory built from config: receivers → policies, targets → deliveries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from services.router.config import RouterConfig
from services.router.domain.policy import (
    Delivery,
    EscalationPolicy,
    EscalationStep,
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

    @property
    def default_receiver(self) -> str:
        return self._config.default_receiver or next(iter(self._config.channels), "")

    def policy_for(self, receiver: str) -> EscalationPolicy | None:
        """A receiver names a policy, a channel, or a user; the latter two page at once."""
        if receiver in self._policies:
            return self._policies[receiver]
        for kind, known in (("channel", self._config.channels), ("user", self._users)):
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
        user = self._users.get(name)
        if user is None:
            return []
        return [
            Delivery(recipient=name, channel=user_channel(name, index))
            for index in range(len(user.contacts))
        ]
