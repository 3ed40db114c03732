"""What the engine needs from the configured rules, independent of their syntax."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from shared.alerts import Alert


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
class CorrelationPolicy:
    """Rule set plus lifecycle settings. `version` is a hash of the config that produced it."""

    version: str
    grouping: GroupingRules
    resolve_grace: timedelta = timedelta(minutes=5)
