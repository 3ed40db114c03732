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

# Who refused: the correlator's partitions, the router's, the dispatcher's, the incidents API.
Reader = str
_BY_REGISTRY: WeakKeyDictionary[CollectorRegistry, Counter] = WeakKeyDictionary()


def config_rejections(registry: CollectorRegistry) -> Counter:
    counter = _BY_REGISTRY.get(registry)
    if counter is None:
        counter = _BY_REGISTRY[registry] = Counter(
            "tocsin_config_rejected_total",
            "Configs activated on the log that a reader of this process refused, keeping the"
            " rules it had (its log says why)",
            ["reader"],
            registry=registry,
        )
    return counter
