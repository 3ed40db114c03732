"""What the engine needs from the configured rules, independent of their syntax."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Protocol

from services.correlator.domain.alertmanager.inhibition import InhibitRule
from services.correlator.domain.topology import NO_TOPOLOGY, Topology
from shared.alertmanager.matchers import Matcher, matches_all
from shared.alerts import Alert
from shared.events.incidents import ResolvePolicy


@dataclass(frozen=True)
class Grouping:
    """Where an alert belongs: its group key, who its route notifies, which rule said so."""

    group_key: str
    receivers: tuple[str, ...]
    rule: str
    group_wait: timedelta


class GroupingRules(Protocol):
    def group_for(self, alert: Alert) -> Grouping: ...


@dataclass(frozen=True)
class Threshold:
    """Open an incident only once `alerts` distinct alerts of a group fire within `within`."""

    alerts: int
    within: timedelta


@dataclass(frozen=True)
class LifecycleRule:
    """How incidents opened by matching alerts live: threshold and resolve policy."""

    name: str
    matchers: tuple[Matcher, ...] = ()
    threshold: Threshold | None = None
    resolve_policy: ResolvePolicy = "all_resolved"
    resolve_grace: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class Flapping:
    """An alert resolving and firing again more than `max_flaps` times within `within`."""

    max_flaps: int = 3
    within: timedelta = timedelta(minutes=30)


# The alert a missed heartbeat raises; its `heartbeat` label names the heartbeat.
HEARTBEAT_ALERTNAME = "HeartbeatMissing"


@dataclass(frozen=True)
class HeartbeatSpec:
    name: str
    interval: timedelta
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CorrelationPolicy:
    """Rule set plus lifecycle settings. `version` is a hash of the config that produced it."""

    version: str
    grouping: GroupingRules
    resolve_grace: timedelta = timedelta(minutes=5)
    resolve_policy: ResolvePolicy = "all_resolved"
    inhibit_rules: tuple[InhibitRule, ...] = ()
    topology: Topology = NO_TOPOLOGY
    rules: tuple[LifecycleRule, ...] = ()
    flapping: Flapping = Flapping()
    heartbeats: Mapping[str, HeartbeatSpec] = field(default_factory=dict)
    domain_labels: tuple[str, ...] = ("region",)

    def lifecycle_for(self, alert: Alert) -> LifecycleRule:
        """The first `correlation.rules` entry matching the alert, else the defaults."""
        for rule in self.rules:
            if matches_all(rule.matchers, alert.labels):
                return rule
        return self.default_lifecycle

    @cached_property
    def default_lifecycle(self) -> LifecycleRule:
        return LifecycleRule(
            name="correlation", resolve_policy=self.resolve_policy, resolve_grace=self.resolve_grace
        )
