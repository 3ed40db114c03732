"""The correlator's part of the Tocsin config: routes, inhibition, lifecycle rules, topology
and heartbeats. `route` and `inhibit_rules` are Alertmanager 0.25 YAML, pasted as they are."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.alertmanager.matchers import MatcherError, parse_matchers
from shared.durations import parse_duration

ResolvePolicyName = Literal["all_resolved", "manual"]


class ThresholdConfig(BaseModel):
    """Open an incident only once `alerts` distinct alerts of one group fire within `within`."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    alerts: int = Field(ge=1)
    within: timedelta

    _duration = field_validator("within", mode="before")(parse_duration)


class CorrelationRuleConfig(BaseModel):
    """Lifecycle of the incidents opened by matching alerts; the first matching rule applies."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = Field(min_length=1)
    matchers: list[str] = []  # Alertmanager matcher syntax, ANDed; none = every alert
    threshold: ThresholdConfig | None = None
    resolve_policy: ResolvePolicyName | None = None  # default: `correlation.resolve_policy`
    resolve_grace: timedelta | None = None  # default: `correlation.resolve_grace`

    _duration = field_validator("resolve_grace", mode="before")(parse_duration)

    @field_validator("matchers")
    @classmethod
    def _valid_matchers(cls, matchers: list[str]) -> list[str]:
        for text in matchers:
            try:
                parse_matchers(text)
            except MatcherError as invalid:
                raise ValueError(f"{text!r}: {invalid}") from None
        return matchers


class FlappingConfig(BaseModel):
    """An alert resolving and firing again more than `max_flaps` times within `within`."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    max_flaps: int = Field(default=3, ge=1)
    within: timedelta = timedelta(minutes=30)

    _duration = field_validator("within", mode="before")(parse_duration)


class LifecycleConfig(BaseModel):
    """The `correlation:` section (ingest reads `domain_labels` from it too)."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    domain_labels: list[str] = ["region"]
    # Resolve policy: an incident resolves once all its alerts stayed resolved this long.
    resolve_grace: timedelta = timedelta(minutes=5)
    resolve_policy: ResolvePolicyName = "all_resolved"
    flapping: FlappingConfig = FlappingConfig()
    rules: list[CorrelationRuleConfig] = []

    _duration = field_validator("resolve_grace", mode="before")(parse_duration)


class ResourceLabelsConfig(BaseModel):
    """Which labels name an alert's host, service and business metric (tried in order)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    host: list[str] = ["instance", "host", "node"]
    service: list[str] = ["service", "app", "job"]
    metric: list[str] = ["metric"]
    cluster: list[str] = ["cluster"]  # a host alert's cluster where `hosts.<name>` names none


class ServiceConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    hosts: list[str] = []
    depends_on: list[str] = []


class BusinessMetricConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    driven_by: list[str] = []


class TopologyConfig(BaseModel):
    """Hosts, the services on them, their dependencies and the business metrics they drive."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    hosts: dict[str, dict[str, str]] = {}  # host → {cluster, region, ...}
    services: dict[str, ServiceConfig] = {}
    business_metrics: dict[str, BusinessMetricConfig] = {}
    correlation_window: timedelta = timedelta(minutes=5)
    max_hops: int = Field(default=2, ge=0, le=6)
    # How much later a cause may start than its effect (alerting delays differ by layer).
    order_tolerance: timedelta = timedelta(minutes=1)
    labels: ResourceLabelsConfig = ResourceLabelsConfig()
    # Alerts no other fault causes and that cause none (certificate expiry, failed backups):
    # each entry a matcher list (ANDed), any entry matching; the topology connects them to none.
    independent: list[str] = []

    _duration = field_validator("correlation_window", "order_tolerance", mode="before")(
        parse_duration
    )

    @field_validator("independent")
    @classmethod
    def _valid_entries(cls, entries: list[str]) -> list[str]:
        for text in entries:
            try:
                matchers = parse_matchers(text)
            except MatcherError as invalid:
                raise ValueError(f"{text!r}: {invalid}") from None
            if not matchers:
                raise ValueError(f"{text!r}: an entry needs a matcher (it would take every alert)")
        return entries


class HeartbeatConfig(BaseModel):
    """Shared with ingest, which owns `token` and `watchdog`: other keys are ignored here."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    name: str = Field(min_length=1)
    interval: timedelta
    labels: dict[str, str] = {}

    _duration = field_validator("interval", mode="before")(parse_duration)

    @field_validator("interval")
    @classmethod
    def _positive(cls, interval: timedelta) -> timedelta:
        if interval <= timedelta(0):
            raise ValueError("interval must be longer than 0s")
        return interval


class CorrelatorConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    route: dict[str, Any] = {"receiver": "default"}
    inhibit_rules: list[dict[str, Any]] = []
    correlation: LifecycleConfig = LifecycleConfig()
    topology: TopologyConfig = TopologyConfig()
    heartbeats: list[HeartbeatConfig] = []

    @field_validator("heartbeats")
    @classmethod
    def _unique_names(cls, heartbeats: list[HeartbeatConfig]) -> list[HeartbeatConfig]:
        names = [h.name for h in heartbeats]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"heartbeat names must be unique: {', '.join(duplicated)}")
        return heartbeats
