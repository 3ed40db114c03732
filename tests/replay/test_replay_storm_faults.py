"""The storm's faults keep the promises its README makes: an overlapping unrelated fault starts
in another cluster than the first, and the generated config says which alerts are independent."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from loadtests.storm.faults import FaultInjector
from loadtests.storm.generate import generate, parser
from loadtests.storm.topology import build_topology
from services.correlator.config import TopologyConfig

AT = datetime(2026, 11, 2, tzinfo=UTC)
_HOST_FAULTS = {"NodeDown", "DiskFull", "NodeNetworkErrors"}


@pytest.mark.parametrize("seed", range(40))
def test_an_overlapping_fault_starts_outside_the_clusters_of_the_first(seed: int) -> None:
    # Given a fault in eu-west at 00:00
    topology = build_topology(seed)
    injector = FaultInjector(topology, random.Random(f"overlap-{seed}"), AT)
    first = injector.fault("eu-west", AT)
    clusters = {
        topology.hosts[o.labels["instance"]].cluster
        for o in injector.occurrences
        if o.truth == first.truth and "instance" in o.labels
    }
    if clusters == set(topology.clusters["eu-west"]):
        return  # a bad deploy's pods may span every cluster: then any host will do
    # When an unrelated fault is drawn to overlap it
    second = injector.fault("eu-west", AT, avoid=first)
    # Then the host it starts on is in none of the clusters the first fault's hosts are in
    started = {
        topology.hosts[o.labels["instance"]].cluster
        for o in injector.occurrences
        if o.truth == second.truth and o.labels["alertname"] in _HOST_FAULTS
    }
    assert not started & clusters


def test_the_generated_config_names_the_alerts_no_fault_causes(tmp_path: Path) -> None:
    generate(parser().parse_args(["--out", str(tmp_path), "--hours", "1"]))
    config = yaml.safe_load((tmp_path / "tocsin.yaml").read_text(encoding="utf-8"))
    topology = TopologyConfig.model_validate(config["topology"])
    assert topology.independent == [
        'alertname="CertificateExpiringSoon"',
        'alertname="BackupJobFailed"',
        'alertname="KubeJobFailed"',
    ]
    assert "topology" not in yaml.safe_load((tmp_path / "baseline.yaml").read_text("utf-8"))
