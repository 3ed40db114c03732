"""From config to policy: grouping by the Alertmanager route tree (the first matching route
decides the incident, every matching route through `continue` adds its receiver), inhibition,
lifecycle rules, topology and heartbeats."""

from __future__ import annotations

from services.correlator.config import CorrelationRuleConfig, CorrelatorConfig, TopologyConfig
from services.correlator.domain.alertmanager.inhibition import parse_inhibit_rules
from services.correlator.domain.alertmanager.route_model import Route
from services.correlator.domain.alertmanager.routes import match_routes, parse_route
from services.correlator.domain.rules import (
    CorrelationPolicy,
    Flapping,
    Grouping,
    HeartbeatSpec,
    LifecycleRule,
    Threshold,
)
from services.correlator.domain.topology import ResourceLabels, ServiceSpec, Topology
from shared.alertmanager.matchers import parse_matchers
from shared.alerts import Alert


class RouteTreeGrouping:
    def __init__(self, tree: Route) -> None:
        self._tree = tree
        # By the routes an alert takes: (receivers, rule). Few distinct paths exist.
        self._by_path: dict[tuple[str, ...], tuple[tuple[str, ...], str]] = {}

    def group_for(self, alert: Alert) -> Grouping:
        matches = match_routes(self._tree, alert.labels)
        first = matches[0]
        path = tuple(m.route_id for m in matches)
        known = self._by_path.get(path)
        if known is None:
            receivers = tuple(dict.fromkeys(m.receiver for m in matches))
            known = self._by_path[path] = (
                receivers,
                f"route {first.route_id} ({first.config_path})",
            )
        return Grouping(
            group_key=first.group_key(alert.labels),
            receivers=known[0],
            rule=known[1],
            group_wait=first.options.group_wait,
        )


def build_policy(config: CorrelatorConfig, ruleset_version: str) -> CorrelationPolicy:
    """Raises AlertmanagerConfigError (a ValueError) for invalid `route` / `inhibit_rules`."""
    lifecycle = config.correlation
    return CorrelationPolicy(
        version=ruleset_version,
        grouping=RouteTreeGrouping(parse_route(config.route)),
        resolve_grace=lifecycle.resolve_grace,
        resolve_policy=lifecycle.resolve_policy,
        inhibit_rules=tuple(parse_inhibit_rules(config.inhibit_rules)),
        topology=build_topology(config.topology),
        rules=tuple(_lifecycle_rule(rule, config) for rule in lifecycle.rules),
        flapping=Flapping(lifecycle.flapping.max_flaps, lifecycle.flapping.within),
        heartbeats={
            h.name: HeartbeatSpec(h.name, h.interval, dict(h.labels)) for h in config.heartbeats
        },
        domain_labels=tuple(lifecycle.domain_labels),
    )


def _lifecycle_rule(rule: CorrelationRuleConfig, config: CorrelatorConfig) -> LifecycleRule:
    defaults = config.correlation
    threshold = rule.threshold
    return LifecycleRule(
        name=rule.name,
        matchers=tuple(m for text in rule.matchers for m in parse_matchers(text)),
        threshold=Threshold(threshold.alerts, threshold.within) if threshold else None,
        resolve_policy=rule.resolve_policy or defaults.resolve_policy,
        resolve_grace=rule.resolve_grace
        if rule.resolve_grace is not None
        else defaults.resolve_grace,
    )


def build_topology(config: TopologyConfig) -> Topology:
    labels = config.labels
    return Topology(
        hosts=config.hosts,
        services={
            name: ServiceSpec(tuple(s.hosts), tuple(s.depends_on))
            for name, s in config.services.items()
        },
        business_metrics={name: tuple(m.driven_by) for name, m in config.business_metrics.items()},
        window=config.correlation_window,
        max_hops=config.max_hops,
        order_tolerance=config.order_tolerance,
        labels=ResourceLabels(
            tuple(labels.host), tuple(labels.service), tuple(labels.metric), tuple(labels.cluster)
        ),
        independent=[parse_matchers(text) for text in config.independent],
    )
