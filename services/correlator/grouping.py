"""Grouping by the Alertmanager route tree: the first matching route decides the incident,
every matching route (through `continue`) adds its receiver."""

from __future__ import annotations

from services.correlator.config import CorrelatorConfig
from services.correlator.domain.alertmanager.route_model import Route
from services.correlator.domain.alertmanager.routes import match_routes, parse_route
from services.correlator.domain.rules import CorrelationPolicy, Grouping
from shared.alerts import Alert


class RouteTreeGrouping:
    def __init__(self, tree: Route) -> None:
        self._tree = tree

    def group_for(self, alert: Alert) -> Grouping:
        matches = match_routes(self._tree, alert.labels)
        first = matches[0]
        receivers = tuple(dict.fromkeys(m.receiver for m in matches))
        return Grouping(
            group_key=first.group_key(alert.labels),
            receivers=receivers,
            rule=f"route {first.route_id} ({first.config_path})",
            group_wait=first.options.group_wait,
        )


def build_policy(config: CorrelatorConfig, ruleset_version: str) -> CorrelationPolicy:
    return CorrelationPolicy(
        version=ruleset_version,
        grouping=RouteTreeGrouping(parse_route(config.route)),
        resolve_grace=config.correlation.resolve_grace,
    )
