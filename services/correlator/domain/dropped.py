"""Inputs that change nothing are decisions too: `InputDropped` says which and why."""

from __future__ import annotations

from datetime import datetime

from services.correlator.domain.rules import CorrelationPolicy
from shared.events.incidents import InputDropped


def dropped(
    input_type: str,
    now: datetime,
    policy: CorrelationPolicy,
    *,
    rule: str,
    reason: str,
    fingerprint: str | None = None,
    incident_id: str | None = None,
    command_id: str | None = None,
) -> InputDropped:
    return InputDropped(
        input_type=input_type,
        at=now,
        fingerprint=fingerprint,
        incident_id=incident_id,
        command_id=command_id,
        rule=rule,
        ruleset_version=policy.version,
        reason=reason,
    )
