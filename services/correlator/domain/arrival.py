"""A new firing alert and what the rules say about it, computed once per decision."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple
from weakref import WeakKeyDictionary

from services.correlator.domain.rules import CorrelationPolicy, Grouping, GroupingRules
from services.correlator.domain.state import slot
from services.correlator.domain.topology import Topology
from shared.alerts import Alert
from shared.events.base import Event

Decided = list[Event]


class Arrival(NamedTuple):
    alert: Alert
    now: datetime
    policy: CorrelationPolicy
    domain: str
    grouping: Grouping
    resources: tuple[str, ...]
    # The incident a recurring alert left because it does not explain it (see `firing`), or
    # that a released symptom leaves (see `release`).
    leaving: str = ""
    # Why it left, when not for the first reason: the start of the decision's reason.
    because: str = ""

    @property
    def group(self) -> str:
        """The route group, scoped to the correlation domain."""
        return slot(self.domain, self.grouping.group_key)


def arrival_of(
    alert: Alert,
    now: datetime,
    policy: CorrelationPolicy,
    domain: str,
    leaving: str = "",
    because: str = "",
) -> Arrival:
    grouping, resources = _rules_for(alert, policy)
    return Arrival(
        alert=alert,
        now=now,
        policy=policy,
        domain=domain,
        grouping=grouping,
        resources=resources,
        leaving=leaving,
        because=because,
    )


# What the rules say about an alert depends on its labels (and, for resources, its `service`)
# alone: route matching and group keys read labels, `Topology.resources_of` labels and
# service. The same few hundred label sets arrive again and again (every alert that fires
# anew), so each is worked out once per rule set, which the weak keys tie the memo to.
_MEMO_LIMIT = 10_000  # label sets per rule set (a few MB); past it the memo starts afresh
_Key = tuple[tuple[tuple[str, str], ...], str | None]
_Memo = dict[_Key, tuple[Grouping, tuple[str, ...]]]
_memos: WeakKeyDictionary[GroupingRules, WeakKeyDictionary[Topology, _Memo]] = WeakKeyDictionary()


def _rules_for(alert: Alert, policy: CorrelationPolicy) -> tuple[Grouping, tuple[str, ...]]:
    by_topology = _memos.get(policy.grouping)
    if by_topology is None:
        by_topology = _memos[policy.grouping] = WeakKeyDictionary()
    memo = by_topology.get(policy.topology)
    if memo is None or len(memo) >= _MEMO_LIMIT:
        memo = by_topology[policy.topology] = {}
    key = (tuple(alert.labels.items()), alert.service)
    found = memo.get(key)
    if found is None:
        grouping = policy.grouping.group_for(alert)
        found = memo[key] = (grouping, policy.topology.resources_of(alert))
    return found
