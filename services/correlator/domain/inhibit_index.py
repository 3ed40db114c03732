"""Firing alerts by inhibition key, so an alert finds its sources (or targets) directly.

Key: (rule index, domain, values of the rule's `equal` labels). Candidates under one key still
go through Alertmanager's full check (`inhibited_by`); the key only narrows the search. Each
tracked alert remembers, as bits, under which rules it is indexed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from services.correlator.domain.rules import CorrelationPolicy
from services.correlator.domain.state import CorrelatorState, InhibitKey, TrackedAlert
from shared.alertmanager.matchers import matches_all


def equal_values(equal: Iterable[str], labels: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(labels.get(name, "") for name in equal)


def index(
    state: CorrelatorState, tracked: TrackedAlert, domain: str, policy: CorrelationPolicy
) -> None:
    labels = tracked.alert.labels
    sources = targets = 0
    for rule_index, rule in enumerate(policy.inhibit_rules):
        key = (rule_index, domain, equal_values(rule.equal, labels))
        if matches_all(rule.source_matchers, labels):
            sources |= 1 << rule_index
            state.inhibit_sources.setdefault(key, {})[tracked.fingerprint] = None
        if matches_all(rule.target_matchers, labels):
            targets |= 1 << rule_index
            state.inhibit_targets.setdefault(key, {})[tracked.fingerprint] = None
    tracked.source_rules, tracked.target_rules = sources, targets


def unindex(
    state: CorrelatorState, tracked: TrackedAlert, domain: str, policy: CorrelationPolicy
) -> None:
    pairs = (
        (state.inhibit_sources, tracked.source_rules),
        (state.inhibit_targets, tracked.target_rules),
    )
    for by_key, rules in pairs:
        for rule_index, rule in enumerate(policy.inhibit_rules):
            if rules >> rule_index & 1:
                _remove(
                    by_key,
                    (rule_index, domain, equal_values(rule.equal, tracked.alert.labels)),
                    tracked.fingerprint,
                )
    tracked.source_rules = tracked.target_rules = 0


def _remove(by_key: dict[InhibitKey, dict[str, None]], key: InhibitKey, fingerprint: str) -> None:
    members = by_key.get(key)
    if members is not None:
        members.pop(fingerprint, None)
        if not members:
            del by_key[key]


def reindex(state: CorrelatorState, policy: CorrelationPolicy) -> None:
    """After a rule reload: the index follows the new rules."""
    state.inhibit_sources.clear()
    state.inhibit_targets.clear()
    for tracked in state.alerts.values():
        tracked.source_rules = tracked.target_rules = 0
        if tracked.firing:
            index(state, tracked, state.incidents[tracked.incident_id].domain, policy)
