"""`tocsin replay` is a pure function of its input and config: byte-identical output across
processes (whatever their hash seed), with or without normalizing workers, and whatever the
order of the input's lines."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from loadtests.storm.generate import generate, parser
from services.cli.config_bundle import load_tocsin_config
from services.cli.replay_input import OrderedInput
from services.cli.replay_run import Replay


@pytest.fixture(scope="module")
def storm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("storm")
    generate(parser().parse_args(["--out", str(folder), "--hours", "1", "--body", "mixed"]))
    return folder


def _replay_process(storm: Path, output: Path, hash_seed: str, jobs: int) -> bytes:
    command = [sys.executable, "-m", "services.cli.main", "replay", "--jobs", str(jobs)]
    command += ["--config", str(storm / "tocsin.yaml"), "--input", str(storm / "alerts.jsonl")]
    command += ["--output", str(output), "--compare", str(storm / "baseline.yaml")]
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(command, capture_output=True, env=env, timeout=120, check=True)
    return done.stdout


def test_replay_same_input_and_config_give_byte_identical_output(
    storm: Path, tmp_path: Path
) -> None:
    first = _replay_process(storm, tmp_path / "first.jsonl", hash_seed="1", jobs=0)
    second = _replay_process(storm, tmp_path / "second.jsonl", hash_seed="2", jobs=2)
    assert (tmp_path / "first.jsonl").read_bytes() == (tmp_path / "second.jsonl").read_bytes()
    assert first == second
    assert b"noise reduction" in first
    assert b"from " in first and b" to " in first


def test_replay_reads_shuffled_input_in_received_at_order(storm: Path, tmp_path: Path) -> None:
    lines = (storm / "alerts.jsonl").read_bytes().splitlines(keepends=True)
    random.Random(3).shuffle(lines)
    (tmp_path / "shuffled.jsonl").write_bytes(b"".join(lines))
    config = load_tocsin_config(storm / "tocsin.yaml")
    with (tmp_path / "ordered.out").open("wb") as ordered:
        Replay(config).run(OrderedInput(storm / "alerts.jsonl"), ordered)
    with (tmp_path / "shuffled.out").open("wb") as shuffled:
        Replay(config).run(OrderedInput(tmp_path / "shuffled.jsonl"), shuffled)
    assert (tmp_path / "shuffled.out").read_bytes() == (tmp_path / "ordered.out").read_bytes()
