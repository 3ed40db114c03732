"""The ingest part of the Tocsin config: integrations, heartbeats and the correlation domain."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from services.ingest.normalizers.classify import parse_conditions
from services.ingest.normalizers.limits import LABEL_NAME
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


class IngestConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    integrations: list[IntegrationConfig] = []
    heartbeats: list[HeartbeatConfig] = []
    correlation: CorrelationDomainConfig = CorrelationDomainConfig()
    max_body_bytes: int = 5 * 1024 * 1024

    @field_validator("integrations")
    @classmethod
    def _unique_names(cls, integrations: list[IntegrationConfig]) -> list[IntegrationConfig]:
        _require_unique("integration", [i.name for i in integrations])
        return integrations

    @field_validator("heartbeats")
    @classmethod
    def _unique_heartbeats(cls, heartbeats: list[HeartbeatConfig]) -> list[HeartbeatConfig]:
        _require_unique("heartbeat", [h.name for h in heartbeats])
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
