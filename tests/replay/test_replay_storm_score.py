"""The storm's ground truth and its pairwise scoring: same seed, same storm; exact pair counts."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from loadtests.storm.generate import generate, parser
from loadtests.storm.score import pairwise

AT = datetime(2026, 11, 2, tzinfo=UTC)


def test_replay_pairwise_score_counts_pairs_of_occurrences() -> None:
    truth = {("a", AT): "T1", ("b", AT): "T1", ("c", AT): "T1", ("d", AT): "T2"}
    # One predicted incident holds a, b and d: pairs ab (right), ad and bd (wrong); c alone.
    predicted = {("a", AT): "P1", ("b", AT): "P1", ("d", AT): "P1", ("c", AT): "P2"}
    score = pairwise(truth, predicted)
    assert score.precision == pytest.approx(1 / 3)
    assert score.recall == pytest.approx(1 / 3)
    assert score.f1 == pytest.approx(1 / 3)


def test_replay_storm_with_the_same_seed_is_the_same_storm(tmp_path: Path) -> None:
    for name in ("one", "two"):
        generate(parser().parse_args(["--out", str(tmp_path / name), "--hours", "1"]))
    for file in ("alerts.jsonl", "truth.jsonl", "tocsin.yaml", "baseline.yaml"):
        assert (tmp_path / "one" / file).read_bytes() == (tmp_path / "two" / file).read_bytes()


def test_replay_storm_fires_on_all_three_layers_with_noise_and_flapping(tmp_path: Path) -> None:
    generate(parser().parse_args(["--out", str(tmp_path), "--hours", "3"]))
    rows = [orjson.loads(line) for line in (tmp_path / "truth.jsonl").read_bytes().splitlines()]
    kinds = Counter(row["kind"] for row in rows)
    assert {"noise", "flapping", "host_down"} <= kinds.keys()
    names = {row["alertname"] for row in rows}
    assert {"NodeDown", "HighErrorRate"} <= names
    assert any(name.endswith("Drop") for name in names)  # business metrics
    lines = (tmp_path / "alerts.jsonl").read_bytes().splitlines()
    statuses = Counter(
        a["status"] for line in lines for a in orjson.loads(line)["payload"]["alerts"]
    )
    assert statuses["resolved"] > 0
    assert statuses["firing"] > statuses["resolved"]  # periodic re-sends
