"""The service topology: which resources an alert names and how resources connect.

Resources are strings `host:<name>`, `service:<name>`, `metric:<name>`. Edges point from cause
to effect: a host affects the services it runs, a service the services that depend on it, a
service the business metrics it drives. Two resources are connected when one lies within
`max_hops` edges downstream of the other, following the edges' direction all the way: so a
path never passes *through* a host or a metric (two services sharing a host, or driving the same
metric, are not connected by that; two services depending on the same one are not either).
The path, in words, explains the decision. Only resources the topology names count:
`job="node-exporter"` is no service here. Alerts matching an `independent` entry (certificate
expiry, failed backups...) are about conditions no recent outage causes and that cause none:
the topology connects them to nothing (`independent_entry`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from shared.alertmanager.matchers import Matcher, matches_all, render_matchers
from shared.alerts import Alert, Layer

HOST, SERVICE, METRIC, CLUSTER = "host", "service", "metric", "cluster"
_KIND_RANK = {HOST: 0, SERVICE: 1, METRIC: 2}
_LAYER_RANK = {Layer.INFRASTRUCTURE: 0, Layer.APPLICATION: 1, Layer.BUSINESS: 2}
# Which of an alert's resources speaks for it, by the alert's layer (as resource prefixes).
_PREFERENCE = {
    Layer.INFRASTRUCTURE: ("host:", "service:", "metric:"),
    Layer.APPLICATION: ("service:", "host:", "metric:"),
    Layer.BUSINESS: ("metric:", "service:", "host:"),
}
# Lower is a likelier root cause: (layer, resource kind, dependency depth).
CauseRank = tuple[int, int, int]
_Edges = dict[str, list[tuple[str, str, str]]]


@dataclass(frozen=True)
class Link:
    """How a resource of an incident reaches the new alert's resource."""

    hops: int
    kinds: tuple[str, ...]
    path: str

    @property
    def rule(self) -> str:
        return "topology." + "+".join(self.kinds)


@dataclass(frozen=True)
class ResourceLabels:
    """Label names that name each kind of resource, tried in order."""

    host: tuple[str, ...] = ("instance", "host", "node")
    service: tuple[str, ...] = ("service", "app", "job")
    metric: tuple[str, ...] = ("metric",)
    cluster: tuple[str, ...] = ("cluster",)


@dataclass(frozen=True)
class ServiceSpec:
    hosts: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()


@functools.lru_cache(maxsize=4096)
def names_instance(resources: tuple[str, ...]) -> bool:
    """An alert about one instance of a service (it names the service and its host). Its
    causes are on its host or in its own service: a failing dependency hits every instance
    alike and shows as service-wide alerts, so an instance alert never joins through one.
    Cached: asked for every claim, of the few resource sets the topology names."""
    kinds = {kind_of(resource) for resource in resources}
    return HOST in kinds and SERVICE in kinds


def kind_of(resource: str) -> str:
    return resource.partition(":")[0]


def name_of(resource: str) -> str:
    return resource.partition(":")[2]


def describe(resource: str) -> str:
    """`host:node-7` → `host node-7`."""
    return f"{kind_of(resource)} {name_of(resource)}"


def strip_port(value: str) -> str:
    """`node-7:9100` → `node-7`; `[::1]:9100` → `::1`."""
    if value.startswith("["):
        return value[1:].partition("]")[0]
    head, sep, tail = value.rpartition(":")
    return head if sep and tail.isdigit() and ":" not in head else value


class Topology:
    """The connected-resources graph, with neighbourhoods computed once per resource."""

    def __init__(
        self,
        *,
        hosts: Mapping[str, Mapping[str, str]] | None = None,
        services: Mapping[str, ServiceSpec] | None = None,
        business_metrics: Mapping[str, Iterable[str]] | None = None,
        window: timedelta = timedelta(minutes=5),
        max_hops: int = 2,
        labels: ResourceLabels = ResourceLabels(),
        order_tolerance: timedelta = timedelta(minutes=1),
        independent: Iterable[Iterable[Matcher]] = (),
    ) -> None:
        self.window = window
        self.independent = tuple(tuple(entry) for entry in independent)
        self.order_tolerance = order_tolerance
        self.max_hops = max_hops
        self.labels = labels
        self.hosts = dict(hosts or {})
        # resource → (effect, kind, words) and resource → (cause, kind, words)
        self._effects: dict[str, list[tuple[str, str, str]]] = {f"host:{h}": [] for h in self.hosts}
        self._causes: dict[str, list[tuple[str, str, str]]] = {f"host:{h}": [] for h in self.hosts}
        for service, spec in sorted((services or {}).items()):
            self._node(f"service:{service}")
            for host in spec.hosts:
                text = f"host {host} runs {service}"
                self._edge(f"host:{host}", f"service:{service}", "runs_on", text)
            for dependency in spec.depends_on:
                text = f"{service} depends on {dependency}"
                self._edge(f"service:{dependency}", f"service:{service}", "depends_on", text)
        for metric, drivers in sorted((business_metrics or {}).items()):
            self._node(f"metric:{metric}")
            for service in drivers:
                text = f"{service} drives {metric}"
                self._edge(f"service:{service}", f"metric:{metric}", "drives", text)
        for edges in (*self._effects.values(), *self._causes.values()):
            edges.sort()
        self._depth = _dependency_depths(services or {})
        self._neighbourhoods: dict[str, dict[str, int]] = {}
        self._links: dict[tuple[str, str], Link] = {}

    @property
    def enabled(self) -> bool:
        return bool(self._effects)

    def _node(self, resource: str) -> None:
        self._effects.setdefault(resource, [])
        self._causes.setdefault(resource, [])

    def _edge(self, cause: str, effect: str, kind: str, text: str) -> None:
        self._node(cause)
        self._node(effect)
        self._effects[cause].append((effect, kind, text))
        self._causes[effect].append((cause, kind, text))

    def resources_of(self, alert: Alert) -> tuple[str, ...]:
        """The known resources an alert names: hosts, then services, then metrics."""
        if not self._effects:
            return ()
        labels = alert.labels
        found: dict[str, None] = {}
        for name in self.labels.host:
            if name in labels:
                self._add_known(found, f"host:{strip_port(labels[name])}")
        services = [labels[name] for name in self.labels.service if name in labels]
        for service in [*services, alert.service or ""]:
            self._add_known(found, f"service:{service}")
        metrics = [labels[name] for name in self.labels.metric if name in labels]
        for metric in [*metrics, alert.alertname]:
            self._add_known(found, f"metric:{metric}")
        return tuple(found)

    def independent_entry(self, labels: Mapping[str, str]) -> str | None:
        """The `independent` entry the labels match, rendered (`{alertname="BackupJobFailed"}`),
        or None. Such an alert joins no incident through the topology and is no evidence for
        another alert to join its own: route groups and inhibition still apply."""
        for entry in self.independent:
            if matches_all(entry, labels):
                return render_matchers(entry)
        return None

    def _add_known(self, found: dict[str, None], resource: str) -> None:
        if resource in self._effects:
            found[resource] = None

    def neighbours(self, resource: str) -> Mapping[str, int]:
        """Every resource within `max_hops` of this one, nearest first: its distance, positive
        downstream (an effect of this resource), negative upstream (a cause), 0 for itself.
        Kept per resource for the life of the rule set; `link` tells the path in words."""
        cached = self._neighbourhoods.get(resource)
        if cached is None:
            found = {resource: 0}
            for sign, edges in ((-1, self._causes), (1, self._effects)):
                for node, hops in self._distances(resource, edges).items():
                    if node not in found or hops < abs(found[node]):
                        found[node] = sign * hops
            cached = dict(sorted(found.items(), key=lambda item: abs(item[1])))
            self._neighbourhoods[resource] = cached
        return cached

    def _distances(self, start: str, edges: _Edges) -> dict[str, int]:
        found: dict[str, int] = {}
        frontier = [start]
        for hops in range(1, self.max_hops + 1):
            reached: list[str] = []
            for node in frontier:
                for other, _, _ in edges.get(node, ()):
                    if other != start and other not in found:
                        found[other] = hops
                        reached.append(other)
            frontier = reached
        return found

    def link(self, far: str, near: str) -> Link:
        """How `far` (an incident's resource) reaches `near` (the new alert's), in words:
        the edges from `far` toward `near` along a shortest causal path. Kept per pair for
        the life of the rule set, like neighbourhoods: every grouped alert asks for one."""
        found = self._links.get((far, near))
        if found is None:
            found = self._links[(far, near)] = self._new_link(far, near)
        return found

    def _new_link(self, far: str, near: str) -> Link:
        if far == near:
            return Link(0, (f"same_{kind_of(near)}",), f"same {describe(near)}")
        paths = [self._path(far, near, edges) for edges in (self._effects, self._causes)]
        return min((p for p in paths if p is not None), key=lambda link: link.hops)

    def _path(self, far: str, near: str, edges: _Edges) -> Link | None:
        parents: dict[str, tuple[str, str, str]] = {}
        frontier = [near]
        for _ in range(self.max_hops):
            reached: list[str] = []
            for node in frontier:
                for other, kind, text in edges.get(node, ()):
                    if other != near and other not in parents:
                        parents[other] = (node, kind, text)
                        reached.append(other)
            frontier = reached
        if far not in parents:
            return None
        kinds: list[str] = []
        texts: list[str] = []
        node = far
        while node != near:
            node, kind, text = parents[node]
            kinds.append(kind)
            texts.append(text)
        return Link(len(kinds), tuple(kinds), "; ".join(texts))

    def cluster_key(
        self, layer: Layer, resources: Iterable[str], labels: Mapping[str, str]
    ) -> str | None:
        """`cluster:<name>` for an infrastructure alert about a host: the host's `cluster` in
        the topology, else the alert's cluster label. The key under which the incidents of
        cluster-wide faults are found (an index key, not a resource of the graph)."""
        if layer != Layer.INFRASTRUCTURE:
            return None
        primary = self.primary(layer, resources)
        if primary is None or kind_of(primary) != HOST:
            return None
        cluster = self.hosts.get(name_of(primary), {}).get("cluster")
        cluster = cluster or next((labels[n] for n in self.labels.cluster if n in labels), None)
        return None if cluster is None else f"{CLUSTER}:{cluster}"

    def primary(self, layer: Layer, resources: Iterable[str]) -> str | None:
        """The resource that speaks for an alert: by its layer, hosts first for infrastructure."""
        listed = list(resources)
        for prefix in _PREFERENCE[layer]:
            for resource in listed:
                if resource.startswith(prefix):
                    return resource
        return None

    def rank(self, layer: Layer, resources: Iterable[str]) -> CauseRank:
        """Lower is a likelier root cause: host < dependency < dependent service < metric."""
        primary = self.primary(layer, resources)
        if primary is None:
            return (_LAYER_RANK[layer], 3, 0)
        kind, _, name = primary.partition(":")
        depth = self._depth.get(name, 0) if kind == SERVICE else 0
        return (_LAYER_RANK[layer], _KIND_RANK[kind], depth)


def _dependency_depths(services: Mapping[str, ServiceSpec]) -> dict[str, int]:
    """How many dependency levels lie below each service (0: depends on nothing known)."""
    depths: dict[str, int] = {}

    def depth(service: str, visiting: frozenset[str]) -> int:
        if service in depths:
            return depths[service]
        spec = services.get(service, ServiceSpec())
        below = [d for d in spec.depends_on if d not in visiting]
        value = 1 + max((depth(d, visiting | {service}) for d in below), default=-1)
        depths[service] = value
        return value

    for service in sorted(services):
        depth(service, frozenset())
    return depths


NO_TOPOLOGY = Topology()
