"""The ingest part of the Tocsin config: integrations, heartbeats and the correlation domain."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from services.ingest.normalizers.classify import parse_conditions
from services.ingest.normalizers.limits import LABEL_NAME, Limits
from shared.durations import parse_duration

IntegrationType = Literal["alertmanager", "grafana", "pagerduty", "opsgenie", "canonical"]


class LayerRule(BaseModel):
    """`when` is `label=value` or `label=~regex`, comma-separated conditions ANDed."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    when: str
    layer: Literal["infrastructure", "application", "business"]

    @field_validator("when")
    @classmethod
    def _conditions(cls, when: str) -> str:
        parse_conditions(when)  # ValueError names the malformed part
        return when


# Without `burst`, a rate limit holds this many seconds of its rate (rounded up, at least 1).
DEFAULT_BURST_SECONDS = 10
MAX_ALERTS_PER_SECOND = 1_000_000


class RateLimitConfig(BaseModel):
    """At most `alerts_per_second` alerts on average, `burst` at once (see `rate_limits.py`).

    A request must fit the burst whole: set it to at least the largest batch the sender
    posts (Alertmanager: the largest group, or its webhook's `max_alerts`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    alerts_per_second: float = Field(gt=0, le=MAX_ALERTS_PER_SECOND, allow_inf_nan=False)
    # The default is replaced by `_default_burst` whenever the rate is valid.
    burst: int = Field(default=1, ge=1, le=1_000_000_000)

    @model_validator(mode="before")
    @classmethod
    def _default_burst(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "burst" in data:
            return data
        rate = data.get("alerts_per_second")
        if isinstance(rate, bool) or not isinstance(rate, int | float | str):
            return data  # the field's own validation names what is wrong
        try:
            seconds = DEFAULT_BURST_SECONDS * float(rate)
        except ValueError:
            return data
        if not 0 < seconds <= DEFAULT_BURST_SECONDS * MAX_ALERTS_PER_SECOND:
            return data
        return {**data, "burst": max(1, math.ceil(seconds))}


class IntegrationConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    type: IntegrationType
    token: SecretStr = Field(description="bearer token, routing key or GenieKey")
    enabled: bool = True
    default_labels: dict[str, str] = {}
    layer_rules: list[LayerRule] = []
    # Alerts sent without an end resolve this long after the last re-send (Alertmanager's
    # resolve_timeout). Off for webhook sources, which send explicit resolves.
    resolve_timeout: timedelta | None = None
    # None: never rate-limited.
    rate_limit: RateLimitConfig | None = None

    _duration = field_validator("resolve_timeout", mode="before")(parse_duration)

    @field_validator("default_labels")
    @classmethod
    def _label_set(cls, labels: dict[str, str]) -> dict[str, str]:
        return _valid_labels(labels)


class HeartbeatConfig(BaseModel):
    """A dead man's switch: something that must check in at least every `interval`.

    It checks in by `POST /api/v1/heartbeats/{name}` with `Authorization: Bearer <token>`, or
    by any alert matching `watchdog` (`label=value` / `label=~regex`, comma-separated, ANDed)
    arriving through any integration: such an alert is a check-in, never an alert. `labels`
    choose the correlation domain of its check-ins (and of the alert raised when it misses one,
    which is the correlator's job: it reads `name`, `interval` and `labels` of this section).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    interval: timedelta
    token: SecretStr | None = None
    labels: dict[str, str] = {}
    watchdog: str | None = None

    _duration = field_validator("interval", mode="before")(parse_duration)

    @field_validator("labels")
    @classmethod
    def _label_set(cls, labels: dict[str, str]) -> dict[str, str]:
        return _valid_labels(labels)

    @field_validator("interval")
    @classmethod
    def _positive(cls, interval: timedelta) -> timedelta:
        if interval <= timedelta(0):
            raise ValueError("must be a positive duration")
        return interval

    @field_validator("watchdog")
    @classmethod
    def _matcher(cls, watchdog: str | None) -> str | None:
        if watchdog is not None and not parse_conditions(watchdog):
            raise ValueError("must name at least one label condition")
        return watchdog

    @model_validator(mode="after")
    def _fed_somehow(self) -> HeartbeatConfig:
        if self.watchdog is None and self.token is None:
            raise ValueError("needs a token, a watchdog matcher, or both: nothing could check in")
        return self


class CorrelationDomainConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    domain_labels: list[str] = ["region"]


class AlertLimitsConfig(BaseModel):
    """`alert_limits`: what one alert may carry. An alert beyond them refuses its whole
    request with a 4xx naming the field, and Alertmanager retries no 4xx: keep them above
    what your senders send (Alertmanager itself has no such limits)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    labels: int = Field(default=Limits().max_labels_per_alert, ge=1)
    label_name_length: int = Field(default=Limits().max_label_name_length, ge=1)
    label_value_length: int = Field(default=Limits().max_label_value_length, ge=1)
    annotations: int = Field(default=Limits().max_annotations_per_alert, ge=1)
    annotation_value_length: int = Field(default=Limits().max_annotation_value_length, ge=1)


class IngestConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    integrations: list[IntegrationConfig] = []
    heartbeats: list[HeartbeatConfig] = []
    correlation: CorrelationDomainConfig = CorrelationDomainConfig()
    # Alertmanager retries no 4xx: a group larger than either limit is lost, so both are
    # generous and can be raised (a 10,000-alert group is about 5 MB of JSON).
    max_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    max_alerts_per_request: int = Field(default=Limits().max_alerts_per_request, ge=1)
    alert_limits: AlertLimitsConfig = AlertLimitsConfig()

    def limits(self) -> Limits:
        """The limits normalizers hold every body to, live and in replay alike."""
        per_alert = self.alert_limits
        return Limits(
            max_alerts_per_request=self.max_alerts_per_request,
            max_labels_per_alert=per_alert.labels,
            max_label_name_length=per_alert.label_name_length,
            max_label_value_length=per_alert.label_value_length,
            max_annotations_per_alert=per_alert.annotations,
            max_annotation_value_length=per_alert.annotation_value_length,
        )

    @field_validator("integrations")
    @classmethod
    def _unique_names(cls, integrations: list[IntegrationConfig]) -> list[IntegrationConfig]:
        _require_unique("integration", [i.name for i in integrations])
        _require_own_tokens([(i.name, i.token) for i in integrations])
        return integrations

    @field_validator("heartbeats")
    @classmethod
    def _unique_heartbeats(cls, heartbeats: list[HeartbeatConfig]) -> list[HeartbeatConfig]:
        _require_unique("heartbeat", [h.name for h in heartbeats])
        _require_own_tokens([(h.name, h.token) for h in heartbeats if h.token])
        return heartbeats


def _valid_labels(labels: dict[str, str]) -> dict[str, str]:
    """Labels every alert of the integration gets: Alertmanager label names, non-empty values."""
    for name, value in labels.items():
        if not LABEL_NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)")
        if not value:
            raise ValueError(f"label {name} must not be empty")
    return labels


def _require_unique(kind: str, names: list[str]) -> None:
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"{kind} names must be unique: {', '.join(duplicated)}")


def _require_own_tokens(owners: list[tuple[str, SecretStr]]) -> None:
    """A credential names who sends: one shared would take the other's labels and domain (or
    its 403 when disabled). The message names the owners, never the token."""
    by_token: dict[str, list[str]] = {}
    for name, token in owners:
        by_token.setdefault(token.get_secret_value(), []).append(name)
    shared = [" and ".join(names) for names in by_token.values() if len(names) > 1]
    if shared:
        raise ValueError(f"{'; '.join(shared)} share one token; give each its own")
