"""deploy/README.md's metrics reference names every metric family the services expose, and
the labels of the router's delivery metrics."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry

from services.router.metrics import RouterMetrics
from tests.deploy.deploy_support import DASHBOARD, RunningTocsin
from tests.support.incident_events import page_requested

README = DASHBOARD.parent.parent / "README.md"
_ROW = re.compile(r"^\| `(?P<name>tocsin_[a-z0-9_]+)` \| [a-z]+ \| (?P<labels>[^|]*) \|", re.M)


def test_every_metric_the_services_expose_is_documented(running_tocsin: RunningTocsin) -> None:
    reference = README.read_text(encoding="utf-8")
    families = {_family(name) for name in running_tocsin.metric_names}
    missing = sorted(name for name in families if f"`{name}`" not in reference)
    assert not missing, f"deploy/README.md's metrics table lacks {missing}"


def test_the_delivery_metrics_labels_are_the_documented_ones() -> None:
    """Delivery series appear only once a page is delivered, so they are made here."""
    registry = CollectorRegistry()
    metrics = RouterMetrics(registry)
    request = page_requested("INC-1", "n1", datetime(2026, 11, 29, tzinfo=UTC))
    metrics.observe_delivery(request, "slack", delivered=True, seconds=0.2)
    exposed: dict[str, set[str]] = {}
    for family in registry.collect():
        for sample in family.samples:
            exposed.setdefault(_family(sample.name), set()).update(sample.labels)
    documented = {
        row["name"]: set(re.findall(r"`([a-z_]+)`", row["labels"]))
        for row in _ROW.finditer(README.read_text(encoding="utf-8"))
    }
    for name in (
        "tocsin_router_notifications_total",
        "tocsin_router_delivery_seconds",
        "tocsin_router_notifications_requested_total",
        "tocsin_router_updates_requested_total",
    ):
        assert documented[name] == exposed[name] - {"le"}, name


def _family(sample_name: str) -> str:
    """A histogram's family name from one of its series' names."""
    for suffix in ("_bucket", "_sum", "_count"):
        if sample_name.endswith(suffix):
            return sample_name.removesuffix(suffix)
    return sample_name
