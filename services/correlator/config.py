"""The correlator's part of the Tocsin config: Alertmanager-style routes and lifecycle rules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from shared.durations import parse_duration


class LifecycleConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    domain_labels: list[str] = ["region"]
    # Resolve policy: an incident resolves once all its alerts stayed resolved this long.
    resolve_grace: timedelta = timedelta(minutes=5)

    _duration = field_validator("resolve_grace", mode="before")(parse_duration)


class CorrelatorConfig(BaseModel):
    """`route` and `inhibit_rules` are Alertmanager 0.25 YAML, pasted as they are."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    route: dict[str, Any] = {"receiver": "default"}
    inhibit_rules: list[dict[str, Any]] = []
    correlation: LifecycleConfig = LifecycleConfig()
