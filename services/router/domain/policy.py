"""Escalation policies as the engine sees them: ordered steps with delays, repeated N times."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from services.router.domain.silences import Silence
from services.router.domain.urgency import Urgency


@dataclass(frozen=True)
class Delivery:
    """One page to send: to whom (for people) and through which configured channel."""

    recipient: str
    channel: str


@dataclass(frozen=True)
class EscalationStep:
    delay: timedelta
    targets: tuple[str, ...]  # "user:alice", "schedule:primary", "channel:ops-webhook"


@dataclass(frozen=True)
class EscalationPolicy:
    name: str
    steps: tuple[EscalationStep, ...]
    repeat: int = 0  # how many more times the whole policy runs after the first pass


class Person(Protocol):
    """Someone a delivery pages: low-urgency pages wait for their working hours."""

    @property
    def name(self) -> str: ...

    @property
    def time_zone(self) -> str: ...


class RoutingDirectory(Protocol):
    """Config lookups the engine needs; pure functions of their arguments."""

    def policy_for(self, receiver: str) -> EscalationPolicy | None: ...

    def deliveries_for(self, target: str, at: datetime) -> list[Delivery]: ...

    def silence_for(self, labels: Mapping[str, str], at: datetime) -> Silence | None: ...

    def urgency_of(self, labels: Mapping[str, str]) -> Urgency: ...

    def resting_urgency(self) -> Urgency:
        """The urgency of an incident none of whose alerts fires (all resolved, the incident
        still open): low where urgency rules say what may wait, high where every page is."""
        ...

    def step_release_at(self, targets: Sequence[str], urgency: Urgency, at: datetime) -> datetime:
        """When a step due at `at` may page its people (`at`: now); the next handoff of one of
        its schedules if that comes first."""
        ...

    def page_at(self, delivery: Delivery, urgency: Urgency, at: datetime) -> datetime:
        """When `delivery`, due at `at`, may reach its person (`at`: now; channels: `at`)."""
        ...

    def user_of(self, delivery: Delivery) -> Person | None:
        """The person `delivery` pages, or None for a channel."""
        ...

    def updates_for(self, delivery: Delivery) -> frozenset[str]:
        """The incident changes ("acknowledged", "resolved") `delivery` is told of once it
        paged: a channel's `updates`; none for a person."""
        ...

    @property
    def default_receiver(self) -> str: ...
