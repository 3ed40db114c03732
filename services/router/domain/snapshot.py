"""Policies snapshotted into events (plain JSON) and read back; merging `continue` policies."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from services.router.domain.policy import EscalationPolicy, EscalationStep


def policy_to_dict(policy: EscalationPolicy) -> dict[str, Any]:
    return {
        "name": policy.name,
        "repeat": policy.repeat,
        "steps": [
            {"delay_s": s.delay.total_seconds(), "targets": list(s.targets)} for s in policy.steps
        ],
    }


def policy_from_dict(data: dict[str, Any]) -> EscalationPolicy:
    steps = tuple(
        EscalationStep(delay=timedelta(seconds=s["delay_s"]), targets=tuple(s["targets"]))
        for s in data["steps"]
    )
    return EscalationPolicy(name=data["name"], steps=steps, repeat=int(data["repeat"]))


def merged_steps(policies: tuple[EscalationPolicy, ...]) -> list[EscalationStep]:
    """Policies reached through `continue` routes run side by side: step i notifies the
    targets of every policy's step i, after the first policy's delay for that step."""
    length = max((len(p.steps) for p in policies), default=0)
    merged: list[EscalationStep] = []
    for index in range(length):
        present = [p.steps[index] for p in policies if index < len(p.steps)]
        targets = tuple(dict.fromkeys(t for s in present for t in s.targets))
        merged.append(EscalationStep(delay=present[0].delay, targets=targets))
    return merged
