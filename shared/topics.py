"""Topic names and record keys: the contract between the services."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

ALERTS = "tocsin.alerts"  # correlator input: alerts, heartbeats, commands, ticks
PAYLOADS = "tocsin.payloads"  # bodies as posted, change events, dropped events: for replay
INCIDENTS = "tocsin.incidents"  # router input: correlator decisions, delivery outcomes, ticks
NOTIFICATIONS = "tocsin.notifications"  # dispatcher input: pages requested and delivered

ALL_TOPICS = (ALERTS, PAYLOADS, INCIDENTS, NOTIFICATIONS)


def domain_key(labels: Mapping[str, str], domain_labels: Sequence[str]) -> str:
    """The correlation domain: alerts that may group together share it, and so a partition."""
    return ",".join(f"{name}={labels.get(name, '')}" for name in domain_labels)


def domain_keyer(domain_labels: Sequence[str]) -> Callable[[Mapping[str, str]], str]:
    """`domain_key` with `domain_labels` bound and each label's `name=` built once: ingest
    keys every alert it accepts, and formatting the names again each time cost more than
    encoding the record's header."""
    prefixes = tuple((name, f"{name}=") for name in domain_labels)
    if len(prefixes) == 1:  # the usual case, e.g. [region]
        ((name, prefix),) = prefixes
        return lambda labels: prefix + labels.get(name, "")
    return lambda labels: ",".join([prefix + labels.get(name, "") for name, prefix in prefixes])
