"""Alertmanager 0.25 rule semantics, pure: the route tree, group keys, inhibition.

SREs paste their Alertmanager `route:` and `inhibit_rules:` YAML into Tocsin unchanged; this
package reads it and decides exactly as Alertmanager 0.25 would (ALERTMANAGER.md lists the
verified behaviour). No I/O, clock or randomness: callers pass loaded YAML and label sets.
Label matchers live in `shared.alertmanager`, because the router's silences and urgency rules
use them too.
"""

from .config_fields import AlertmanagerConfigError
from .durations import DurationError, parse_duration
from .inhibition import InhibitRule, InhibitRuleConfigError, inhibited_by, parse_inhibit_rules
from .notification_order import sorted_for_notification
from .route_model import DEFAULT_OPTIONS, Route, RouteMatch, RouteOptions, label_set_string
from .routes import (
    ROUTE_FIELDS,
    RouteConfigError,
    RouteExplanation,
    explain,
    match_routes,
    parse_route,
    receivers_line,
)

__all__ = [
    "DEFAULT_OPTIONS",
    "ROUTE_FIELDS",
    "AlertmanagerConfigError",
    "DurationError",
    "InhibitRule",
    "InhibitRuleConfigError",
    "Route",
    "RouteConfigError",
    "RouteExplanation",
    "RouteMatch",
    "RouteOptions",
    "explain",
    "inhibited_by",
    "label_set_string",
    "match_routes",
    "parse_duration",
    "parse_inhibit_rules",
    "parse_route",
    "receivers_line",
    "sorted_for_notification",
]
