"""`tocsin_config_rejected_total{reader}`: configs from the log a process refused.

A config activated on the log (at a start, at a reload) that one of a process's readers
cannot take (a `${NAME}` its environment lacks, a check it fails) leaves that reader on the
rules it had, while the others switch: a divergence that only its log line told of. The
counter lets an alert tell of it. `tocsin up` runs every reader in one process, with one
registry: the counter is made once per registry and shared.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from prometheus_client import CollectorRegistry, Counter

_BY_REGISTRY: WeakKeyDictionary[CollectorRegistry, Counter] = WeakKeyDictionary()


def config_rejections(registry: CollectorRegistry) -> Counter:
    counter = _BY_REGISTRY.get(registry)
    if counter is None:
        counter = _BY_REGISTRY[registry] = Counter(
            "tocsin_config_rejected_total",
            "Configs activated on the log that a reader of this process refused, keeping the"
            " rules it had, per partition of the reader (its log says why)",
            ["reader"],  # correlator, router, dispatcher or api
            registry=registry,
        )
    return counter


class Refusals:
    """The refusals of one partition's reader (the correlator's, the router's).

    A refusal read live is counted at once. One read while the partition is rebuilt is kept
    until its recovery ends: moot when a later activation was taken, or when this process
    pins its own config at recovery (every reader then switches to it); counted otherwise,
    since the partition then goes on with rules other than its peers'.
    """

    def __init__(self, counted: Counter) -> None:
        self._counted = counted
        self._pending = False

    def refused(self, *, live: bool) -> None:
        if live:
            self._counted.inc()
        else:
            self._pending = True

    def taken(self) -> None:
        self._pending = False

    def recovered(self, *, pinning: bool) -> None:
        if self._pending and not pinning:
            self._counted.inc()
        self._pending = False
