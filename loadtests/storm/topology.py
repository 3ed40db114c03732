"""A seeded topology: regions of clusters of hosts, services placed on hosts in every region,
service dependencies, and business metrics driven by services.

Every service runs in every region (on hosts of that region's clusters); dependencies and
business metrics are the same in each region, and are measured per region.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

REGIONS = ("eu-west", "us-east", "ap-south", "eu-north", "us-west", "sa-east", "ap-east")
# Services by tier: a service depends only on services of lower tiers.
SERVICE_TIERS: tuple[tuple[str, ...], ...] = (
    ("orders-db", "user-db", "cache", "message-bus"),
    ("inventory", "pricing", "ledger", "auth", "catalog", "shipping"),
    ("payments-api", "orders", "search", "recommendations", "user-profile", "reviews"),
    ("checkout-web", "storefront", "mobile-gateway"),
)
BUSINESS_METRICS: dict[str, tuple[str, ...]] = {
    "checkout_conversion": ("checkout-web", "payments-api", "orders"),
    "signup_rate": ("storefront", "auth", "user-profile"),
    "search_click_through": ("search", "catalog", "recommendations"),
    "order_volume": ("orders", "mobile-gateway", "shipping"),
}


# The `topology.independent` entries of the generated config (see `topology_section`).
INDEPENDENT = (
    'alertname="CertificateExpiringSoon"',
    'alertname="BackupJobFailed"',
    'alertname="KubeJobFailed"',
)


@dataclass(frozen=True)
class Host:
    name: str
    cluster: str
    region: str


@dataclass(frozen=True)
class Topology:
    regions: tuple[str, ...]
    clusters: dict[str, tuple[str, ...]]  # region -> clusters
    hosts: dict[str, Host]
    depends_on: dict[str, tuple[str, ...]]  # service -> services it calls
    placement: dict[tuple[str, str], tuple[str, ...]]  # (service, region) -> hosts
    business: dict[str, tuple[str, ...]]  # metric -> services driving it

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(self.depends_on)

    def hosts_in(self, cluster: str) -> list[str]:
        return [h.name for h in self.hosts.values() if h.cluster == cluster]

    def services_on(self, host: str) -> list[str]:
        region = self.hosts[host].region
        return [s for s in self.services if host in self.placement[(s, region)]]

    def callers(self, service: str) -> list[str]:
        return [s for s, deps in self.depends_on.items() if service in deps]

    def metrics_driven_by(self, service: str) -> list[str]:
        return [m for m, drivers in self.business.items() if service in drivers]


def _copies(scale: int) -> tuple[tuple[tuple[str, ...], ...], dict[str, tuple[str, ...]]]:
    """Tiers and business metrics with `scale` copies of every service (`name`, `name-2`...)."""
    suffixes = [""] + [f"-{k}" for k in range(2, scale + 1)]
    tiers = tuple(tuple(n + s for s in suffixes for n in tier) for tier in SERVICE_TIERS)
    business = {
        metric + s.replace("-", "_"): tuple(d + s for d in drivers)
        for s in suffixes
        for metric, drivers in BUSINESS_METRICS.items()
    }
    return tiers, business


def build_topology(
    seed: int,
    regions: int = 3,
    clusters_per_region: int = 3,
    hosts_per_cluster: int = 8,
    scale: int = 1,
) -> Topology:
    """`scale` copies of the service catalogue (and of its business metrics) per region."""
    rng = random.Random(f"topology-{seed}")
    tiers, business = _copies(scale)
    chosen = REGIONS[:regions]
    clusters = {r: tuple(f"{r}-c{i + 1}" for i in range(clusters_per_region)) for r in chosen}
    hosts = {
        f"{cluster}-n{i + 1:02d}": Host(f"{cluster}-n{i + 1:02d}", cluster, region)
        for region in chosen
        for cluster in clusters[region]
        for i in range(hosts_per_cluster)
    }
    depends_on: dict[str, tuple[str, ...]] = {}
    for tier, names in enumerate(tiers):
        lower = [s for t in tiers[:tier] for s in t]
        for name in names:
            count = min(len(lower), rng.randint(1, 3)) if lower else 0
            depends_on[name] = tuple(sorted(rng.sample(lower, count)))
    placement = {
        (service, region): tuple(sorted(rng.sample(_region_hosts(hosts, region), 3)))
        for service in depends_on
        for region in chosen
    }
    return Topology(chosen, clusters, hosts, depends_on, placement, business)


def _region_hosts(hosts: dict[str, Host], region: str) -> list[str]:
    return [h.name for h in hosts.values() if h.region == region]


def topology_section(topology: Topology) -> dict[str, Any]:
    """The `topology:` section of a Tocsin config."""
    return {
        "hosts": {
            h.name: {"cluster": h.cluster, "region": h.region} for h in topology.hosts.values()
        },
        "services": {
            service: {
                "hosts": [h for r in topology.regions for h in topology.placement[(service, r)]],
                "depends_on": list(deps),
            }
            for service, deps in topology.depends_on.items()
        },
        "business_metrics": {m: {"driven_by": list(d)} for m, d in topology.business.items()},
        "correlation_window": "5m",
        "max_hops": 2,
        # What an SRE writes once: conditions no outage of the last minutes causes and that
        # cause none (an expiring certificate, a failed backup or batch job).
        "independent": list(INDEPENDENT),
    }
