"""The ingest part of the Tocsin config: integrations and the correlation domain."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from shared.durations import parse_duration

IntegrationType = Literal["alertmanager", "grafana", "pagerduty", "opsgenie", "canonical"]


class LayerRule(BaseModel):
    """`when` is `label=value` or `label=~regex`, comma-separated conditions ANDed."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    when: str
    layer: Literal["infrastructure", "application", "business"]


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


class CorrelationDomainConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    domain_labels: list[str] = ["region"]


class IngestConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    integrations: list[IntegrationConfig] = []
    correlation: CorrelationDomainConfig = CorrelationDomainConfig()
    max_body_bytes: int = 5 * 1024 * 1024

    @field_validator("integrations")
    @classmethod
    def _unique_names(cls, integrations: list[IntegrationConfig]) -> list[IntegrationConfig]:
        names = [i.name for i in integrations]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"integration names must be unique: {', '.join(duplicated)}")
        return integrations
