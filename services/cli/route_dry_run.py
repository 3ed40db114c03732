"""What the whole pipeline would do with one alert at one instant: routes, policy, pages.

Mirrors the correlator's grouping (`RouteTreeGrouping.group_for`: receivers of every matched
route, group wait of the first) and the router engine's choice of policies (`engine._start`:
each receiver's policy, else the default receiver's), then plans the escalation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from services.cli.config_bundle import TocsinConfig
from services.cli.route_timeline import StepPlan, plan_escalation
from services.correlator.domain.alertmanager import RouteMatch, match_routes, parse_route
from services.correlator.domain.rules import Threshold
from services.correlator.grouping import build_policy
from services.router.directory import ConfigDirectory
from services.router.domain.api_silences import with_silences
from services.router.domain.matchers import matches_all
from services.router.domain.policy import EscalationPolicy
from services.router.domain.silences import Silence
from services.router.domain.urgency import Urgency, deciding_rule, urgency_of
from services.router.schedule_lookup import on_call_lookup
from shared.alertmanager.matchers import matches_all as correlation_match


@dataclass(frozen=True)
class DryRun:
    labels: dict[str, str]
    at: datetime  # when the alert arrives and opens its incident
    routes: list[RouteMatch]
    receivers: list[str]
    policies: list[EscalationPolicy]
    policy_reason: str
    first_due: datetime  # `at` plus the first route's group wait
    urgency: Urgency
    urgency_rule: int | None  # index into `urgency.rules`, None: the default
    # Silences matching the labels, in any state, by name: `silences.N` of the config file,
    # `api:ID` of the API's.
    silences: list[tuple[str, Silence]]
    steps: list[StepPlan]
    # The correlation rule whose threshold holds the alert (no incident, no page, until enough
    # alerts of its group fire), if one does: the plan starts once it is reached.
    threshold: tuple[str, Threshold] | None = None


def dry_run(
    config: TocsinConfig,
    labels: Mapping[str, str],
    at: datetime,
    api_silences: Mapping[str, Silence] | None = None,
) -> DryRun:
    """`api_silences`: the API's, by id, as the log holds them (None: the config's only)."""
    router = config.router
    config_directory = ConfigDirectory(router, on_call_lookup(router))
    directory = with_silences(config_directory, api_silences or {})
    # Named as `GET /api/v1/silences` lists them: `config-1`..., and the API's by id.
    named = [(f"config-{n}", silence) for n, silence in enumerate(router.silences, start=1)]
    named += [
        (f"api:{silence_id}", silence) for silence_id, silence in (api_silences or {}).items()
    ]
    routes = match_routes(parse_route(config.correlator.route), labels)
    receivers = list(dict.fromkeys(route.receiver for route in routes))
    policies, reason = _policies(config_directory, receivers or [directory.default_receiver])
    first_due = at + routes[0].options.group_wait
    return DryRun(
        labels=dict(labels),
        at=at,
        routes=routes,
        receivers=receivers,
        policies=policies,
        policy_reason=reason,
        first_due=first_due,
        urgency=urgency_of(router.urgency, labels),
        urgency_rule=deciding_rule(router.urgency, labels),
        silences=[
            (name, silence) for name, silence in named if matches_all(silence.matchers, labels)
        ],
        steps=plan_escalation(directory, policies, labels, first_due) if policies else [],
        threshold=_threshold(config, labels),
    )


def _threshold(config: TocsinConfig, labels: Mapping[str, str]) -> tuple[str, Threshold] | None:
    """As the correlator's `lifecycle_for`: the first `correlation.rules` entry matching."""
    policy = build_policy(config.correlator, config.version)
    rule = next((r for r in policy.rules if correlation_match(r.matchers, labels)), None)
    if rule is None or rule.threshold is None:
        return None
    return rule.name, rule.threshold


def _policies(
    directory: ConfigDirectory, receivers: list[str]
) -> tuple[list[EscalationPolicy], str]:
    policies = [p for p in (directory.policy_for(r) for r in receivers) if p is not None]
    if policies:
        return policies, f"receivers {', '.join(receivers)}"
    fallback = directory.policy_for(directory.default_receiver)
    if fallback is not None:
        return [fallback], f"no policy for {', '.join(receivers)}: default {fallback.name}"
    return [], f"no escalation policy or target for {', '.join(receivers)} nor a default"
