"""deploy/README.md's metrics reference names every metric family the services expose."""

from __future__ import annotations

from tests.deploy.deploy_support import DASHBOARD, RunningTocsin


def test_every_metric_the_services_expose_is_documented(running_tocsin: RunningTocsin) -> None:
    reference = (DASHBOARD.parent.parent / "README.md").read_text(encoding="utf-8")
    families = {_family(name) for name in running_tocsin.metric_names}
    missing = sorted(name for name in families if f"`{name}`" not in reference)
    assert not missing, f"deploy/README.md's metrics table lacks {missing}"


def _family(sample_name: str) -> str:
    """A histogram's family name from one of its series' names."""
    for suffix in ("_bucket", "_sum", "_count"):
        if sample_name.endswith(suffix):
            return sample_name.removesuffix(suffix)
    return sample_name
