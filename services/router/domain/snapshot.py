"""Policies snapshotted into events (plain JSON) and read back; merging `continue` policies.

Every incident carries its policies' snapshot, but incidents share a handful of distinct
policies: reading a snapshot back and merging its steps are memoized (pure functions of
immutable values), so each distinct one is built once.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from services.router.domain.policy import EscalationPolicy, EscalationStep

# (name, repeat, ((delay in seconds, targets), ...)): a snapshot as a hashable value.
_PolicyKey = tuple[str, int, tuple[tuple[float, tuple[str, ...]], ...]]


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


def policies_from_dicts(snapshot: Sequence[Mapping[str, Any]]) -> tuple[EscalationPolicy, ...]:
    """`policy_from_dict` of each, the same objects for equal snapshots."""
    return _policies(
        tuple(
            (
                str(p["name"]),
                int(p["repeat"]),
                tuple((float(s["delay_s"]), tuple(s["targets"])) for s in p["steps"]),
            )
            for p in snapshot
        )
    )


@functools.lru_cache(maxsize=1024)
def _policies(keys: tuple[_PolicyKey, ...]) -> tuple[EscalationPolicy, ...]:
    return tuple(
        EscalationPolicy(
            name=name,
            steps=tuple(EscalationStep(timedelta(seconds=d), targets) for d, targets in steps),
            repeat=repeat,
        )
        for name, repeat, steps in keys
    )


@functools.lru_cache(maxsize=1024)
def merged_steps(
    policies: tuple[EscalationPolicy, ...], offsets: tuple[int, ...] = ()
) -> tuple[EscalationStep, ...]:
    """Policies reached through `continue` routes run side by side: step i notifies the
    targets of every policy's step i, after the first policy's delay for that step.

    A policy added mid-round (`offsets`, one per policy, missing ones 0) runs its step n with
    step n + offset. An offset is at most the number of steps before it (see `widening`),
    so every step has one policy's step at least."""
    shifts = offsets + (0,) * (len(policies) - len(offsets))
    length = max(
        (len(p.steps) + shift for p, shift in zip(policies, shifts, strict=True)), default=0
    )
    merged: list[EscalationStep] = []
    for index in range(length):
        present = [
            p.steps[index - shift]
            for p, shift in zip(policies, shifts, strict=True)
            if 0 <= index - shift < len(p.steps)
        ]
        targets = tuple(dict.fromkeys(t for s in present for t in s.targets))
        merged.append(EscalationStep(delay=present[0].delay, targets=targets))
    return tuple(merged)
