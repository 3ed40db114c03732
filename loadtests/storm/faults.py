"""Faults injected into a topology, and the alert occurrences they cause, with ground truth.

A fault fires alerts on all three layers: infrastructure (the host or cluster at fault),
application (the services on it, then their callers up to two hops), business (the metrics
those services drive), each after a propagation delay and until shortly after the fault ends.
Unrelated background noise, flapping alerts and overlapping unrelated faults are mixed in.
Every occurrence carries the id of the truth incident it belongs to.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from loadtests.storm.topology import Host, Topology
from shared.fingerprint import label_fingerprint

MINUTE = timedelta(minutes=1)
# The services a fault makes fail, and those of them whose failure is its own.
Failing = tuple[list[str], set[str]]
# An alert already firing (or just resolved) for one incident is not raised by another.
_SAME_ALERT_MARGIN = 6 * MINUTE
_FAULT_KINDS = ("host_down", "bad_deploy", "disk_full", "network")
_FAULT_WEIGHTS = (0.35, 0.3, 0.2, 0.15)
_NOISE = (
    ("CertificateExpiringSoon", "service", "warning"),
    ("HighMemoryUsage", "host", "warning"),
    ("BackupJobFailed", "service", "error"),
    ("DiskSpaceLow", "host", "warning"),
    ("KubeJobFailed", "service", "warning"),
)


@dataclass(frozen=True)
class Occurrence:
    """One alert from the time it starts firing to the time it resolves."""

    labels: dict[str, str]
    starts_at: datetime
    ends_at: datetime
    truth: str
    kind: str

    @property
    def fingerprint(self) -> str:
        return label_fingerprint(self.labels)


@dataclass(frozen=True)
class StormShape:
    hours: float = 6.0
    faults_per_region_hour: float = 1.5
    noise_per_region_hour: float = 6.0
    flaps_per_region_hour: float = 0.5
    overlap_probability: float = 0.35


@dataclass(frozen=True)
class _Fault:
    truth: str
    kind: str
    region: str
    at: datetime
    ends: datetime


@dataclass
class FaultInjector:
    topology: Topology
    rng: random.Random
    start: datetime
    occurrences: list[Occurrence] = field(default_factory=list)
    _busy: dict[str, list[tuple[datetime, datetime, str]]] = field(default_factory=dict)
    # truth incident -> the services it raised an alert on
    _shown: dict[str, set[str]] = field(default_factory=dict)
    _counter: int = 0

    def storm(self, shape: StormShape) -> list[Occurrence]:
        for region in self.topology.regions:
            for at in self._arrivals(shape.faults_per_region_hour, shape.hours):
                first = self.fault(region, at)
                if self.rng.random() < shape.overlap_probability:
                    self.fault(region, at + self.rng.uniform(0, 5) * MINUTE, avoid=first)
            for at in self._arrivals(shape.noise_per_region_hour, shape.hours):
                self.noise(region, at)
            for at in self._arrivals(shape.flaps_per_region_hour, shape.hours):
                self.flapping(region, at)
        return sorted(self.occurrences, key=lambda o: (o.starts_at, o.truth, o.fingerprint))

    def add(self, labels: dict[str, str], starts: datetime, ends: datetime, fault: _Fault) -> bool:
        """Record an occurrence unless another incident's same alert fires around that time
        (then False: the other incident owns that alert)."""
        occurrence = Occurrence(
            labels, starts, max(ends, starts + 2 * MINUTE), fault.truth, fault.kind
        )
        spans = self._busy.setdefault(occurrence.fingerprint, [])
        for begin, end, truth in spans:
            near = (
                starts < end + _SAME_ALERT_MARGIN
                and occurrence.ends_at + _SAME_ALERT_MARGIN > begin
            )
            if near and truth != fault.truth:
                return False
        spans.append((starts, occurrence.ends_at, fault.truth))
        self.occurrences.append(occurrence)
        if "service" in labels:
            self._shown.setdefault(fault.truth, set()).add(labels["service"])
        return True

    def _arrivals(self, per_hour: float, hours: float) -> list[datetime]:
        times: list[datetime] = []
        hour = 0.0
        while per_hour > 0:
            hour += self.rng.expovariate(per_hour)
            if hour >= hours:
                break
            times.append(self.start + timedelta(hours=hour))
        return times

    def _new(self, kind: str, region: str, at: datetime, minutes: tuple[float, float]) -> _Fault:
        self._counter += 1
        ends = at + self.rng.uniform(*minutes) * MINUTE
        return _Fault(f"{kind}-{region}-{self._counter:05d}", kind, region, at, ends)

    def fault(self, region: str, at: datetime, avoid: _Fault | None = None) -> _Fault:
        """One fault and its cascade; `avoid`: be unrelated to that one (another cluster)."""
        kind = self.rng.choices(_FAULT_KINDS, _FAULT_WEIGHTS)[0]
        fault = self._new(kind, region, at, (8, 45))
        hosts = [h for h in self.topology.hosts.values() if h.region == region]
        if avoid is not None:
            # Where the first fault is: the clusters of the hosts its alerts name. (A service
            # alert's `cluster` label is that of the service's first host, wherever it fails.)
            taken = {
                self.topology.hosts[o.labels["instance"]].cluster
                for o in self.occurrences
                if o.truth == avoid.truth and "instance" in o.labels
            }
            hosts = [h for h in hosts if h.cluster not in taken] or hosts
        failing, owned = self._kinds()[fault.kind](self.rng.choice(hosts), fault)
        self._cascade(failing, fault, owned)
        return fault

    def _kinds(self) -> dict[str, Callable[[Host, _Fault], Failing]]:
        return {
            "host_down": self._host_down,
            "disk_full": self._disk_full,
            "network": self._network,
            "bad_deploy": self._bad_deploy,
        }

    def _host_down(self, host: Host, fault: _Fault) -> Failing:
        down = self._host(host.name, "NodeDown", "critical", fault)
        failing = self.topology.services_on(host.name)
        for service in failing:
            labels = self._service(
                "ServiceInstanceDown", service, fault.region, "critical", host.name
            )
            self._later(labels, fault, (0.5, 1.0))
        return failing, set(failing) if down else set()

    def _disk_full(self, host: Host, fault: _Fault) -> Failing:
        full = self._host(host.name, "DiskFull", "error", fault)
        failing = [s for s in self.topology.services_on(host.name) if self.rng.random() < 0.5]
        return failing, set(failing) if full else set()

    def _network(self, host: Host, fault: _Fault) -> Failing:
        failing: list[str] = []
        for peer in self.topology.hosts_in(host.cluster):
            chosen = peer == host.name or self.rng.random() < 0.4
            # A host whose network fails alerts; its services fail through this fault only if
            # that alert belongs to it (not to another fault that raised it just before).
            if chosen and self._host(peer, "NodeNetworkErrors", "warning", fault):
                failing += [s for s in self.topology.services_on(peer) if s not in failing]
        return failing, set(failing)

    def _bad_deploy(self, host: Host, fault: _Fault) -> Failing:
        service = self.rng.choice(
            self.topology.services_on(host.name) or list(self.topology.services)
        )
        for name in self.topology.placement[(service, fault.region)]:
            if self.rng.random() < 0.5:
                labels = self._service("PodCrashLooping", service, fault.region, "error", name)
                self._later(labels, fault, (0.0, 1.0))
        return [service], {service}

    def _cascade(self, failing: list[str], fault: _Fault, owned: set[str]) -> None:
        """Errors in the failing services, latency in their callers (two hops), business drops.

        The fault spreads only through services whose trouble it shows (`owned`): not through a
        service whose alert there is another fault's (raised just before) and none of its own
        (what follows from it shows that other fault), nor from a host whose alert is another's.
        The draws are made all the same, so the rest of the storm stays as it was."""
        affected, owned = list(failing), set(owned)
        for service in failing:
            labels = self._service("HighErrorRate", service, fault.region, "critical")
            raised = self._later(labels, fault, (1.0, 2.0), 0.8, own=service in owned)
            if raised is False and service not in self._shown.get(fault.truth, set()):
                owned.discard(service)
        frontier = failing
        for hop, chance in ((1, 0.6), (2, 0.3)):
            callers = sorted(
                {c for s in frontier for c in self.topology.callers(s)} - set(affected)
            )
            reached = {c for s in frontier if s in owned for c in self.topology.callers(s)}
            for caller in callers:
                slow: bool | None = None
                if self.rng.random() < chance:
                    labels = self._service("HighLatency", caller, fault.region, "warning")
                    slow = self._later(labels, fault, (1.0 + hop, 3.0 + hop), own=caller in reached)
                    affected.append(caller)
                if caller in reached and slow is not False:
                    owned.add(caller)
            frontier = callers
        for metric in sorted({m for s in affected for m in self.topology.metrics_driven_by(s)}):
            labels = {"alertname": _metric_alert(metric), "metric": metric, "layer": "business"}
            labels |= {"region": fault.region, "severity": "critical"}
            own = any(s in owned for s in self.topology.business[metric] if s in affected)
            self._later(labels, fault, (3.0, 6.0), 0.8, own=own)

    def _later(
        self,
        labels: dict[str, str],
        fault: _Fault,
        delay: tuple[float, float],
        chance: float = 1.0,
        own: bool = True,
    ) -> bool | None:
        """True: raised; False: another incident owns that alert; None: not raised (by chance,
        or `own` is False: not this fault's to raise, the same draws made all the same)."""
        if self.rng.random() >= chance:
            return None
        starts = fault.at + self.rng.uniform(*delay) * MINUTE
        ends = fault.ends + self.rng.uniform(-1.5, 3) * MINUTE
        return self.add(labels, starts, ends, fault) if own else None

    def _host(self, host: str, name: str, severity: str, fault: _Fault) -> bool | None:
        node = self.topology.hosts[host]
        labels = {"alertname": name, "instance": host, "cluster": node.cluster}
        labels |= {"region": node.region, "severity": severity, "job": "node"}
        return self._later(labels, fault, (0.0, 0.5))

    def _service(
        self, name: str, service: str, region: str, severity: str, host: str | None = None
    ) -> dict[str, str]:
        where = host or self.topology.placement[(service, region)][0]
        labels = {
            "alertname": name,
            "service": service,
            "cluster": self.topology.hosts[where].cluster,
        }
        labels |= {"region": region, "severity": severity, "job": service}
        if host is not None:
            labels["instance"] = host
        return labels

    def noise(self, region: str, at: datetime) -> None:
        """One unrelated alert: its own truth incident."""
        name, scope, severity = self.rng.choice(_NOISE)
        fault = self._new("noise", region, at, (5, 90))
        if scope == "host":
            hosts = [h.name for h in self.topology.hosts.values() if h.region == region]
            self._host(self.rng.choice(hosts), name, severity, fault)
        else:
            service = self.rng.choice(self.topology.services)
            self.add(self._service(name, service, region, severity), at, fault.ends, fault)

    def flapping(self, region: str, at: datetime) -> None:
        """A probe that fails and recovers every few minutes: one truth incident throughout."""
        fault = self._new("flapping", region, at, (15, 40))
        service = self.rng.choice(self.topology.services)
        labels = {**self._service("ProbeFailed", service, region, "warning"), "probe": "https"}
        while at < fault.ends:
            firing = self.rng.uniform(1, 3) * MINUTE
            self.add(dict(labels), at, at + firing, fault)
            at += firing + self.rng.uniform(1, 4) * MINUTE


def _metric_alert(metric: str) -> str:
    return "".join(part.capitalize() for part in metric.split("_")) + "Drop"
