"""The order of alerts inside one Alertmanager notification (0.25 `types.AlertSlice`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import cmp_to_key
from typing import TypeVar

T = TypeVar("T")
_FIRST_KEYS = ("job", "instance")


def sorted_for_notification(
    alerts: Iterable[T], labels_of: Callable[[T], Mapping[str, str]]
) -> list[T]:
    """Alerts by `job`, then `instance` (alerts having the label first), then by label set."""

    def compare(left: T, right: T) -> int:
        return _compare(labels_of(left), labels_of(right))

    return sorted(alerts, key=cmp_to_key(compare))  # stable, like Go's sort.Stable


def _compare(left: Mapping[str, str], right: Mapping[str, str]) -> int:
    for key in _FIRST_KEYS:
        if key not in left and key not in right:
            continue
        if key not in left or key not in right:
            return 1 if key not in left else -1
        if left[key] != right[key]:
            return -1 if left[key] < right[key] else 1
    if _before(left, right):
        return -1
    return 1 if _before(right, left) else 0


def _before(left: Mapping[str, str], right: Mapping[str, str]) -> bool:
    """Prometheus `LabelSet.Before`: fewer labels first, then the first differing label decides."""
    if len(left) != len(right):
        return len(left) < len(right)
    for name in sorted({*left, *right}):
        if name not in left:  # Go's quirk: a name only the left set lacks puts it first
            return True
        if name not in right:
            return False
        if left[name] != right[name]:
            return left[name] < right[name]
    return False
