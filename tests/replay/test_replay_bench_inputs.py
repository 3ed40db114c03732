"""The correlator benchmark's pipeline input: the storm's alert notifications, keyed as ingest
keys them (by correlation domain), in order and up to the limit asked."""

from __future__ import annotations

from pathlib import Path

from loadtests.correlator_bench.pipeline_rate import storm_records
from loadtests.storm.generate import generate, parser
from services.cli.config_bundle import load_tocsin_config
from shared.topics import domain_key


def test_pipeline_bench_reads_the_storm_keyed_by_correlation_domain(tmp_path: Path) -> None:
    generate(parser().parse_args(["--out", str(tmp_path), "--hours", "1"]))
    config = load_tocsin_config(tmp_path / "tocsin.yaml")
    labels = config.ingest.correlation.domain_labels

    records = list(storm_records(tmp_path / "alerts.jsonl", config, 200))

    assert len(records) == 200
    assert all(key == domain_key(alert.labels, labels) for key, alert in records)
    assert [alert.received_at for _, alert in records] == sorted(
        alert.received_at for _, alert in records
    )
