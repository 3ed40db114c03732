"""A live `tocsin up` and the offline replay agree: killed with SIGKILL mid-stream and
restarted, it ends with the incidents of an uninterrupted run, also when it recovers from
snapshots of its state; and `tocsin replay` of its `tocsin export` gives exactly the
incidents (ids and alerts) its log holds."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.replay.replay_live import (
    CONFIG,
    PAUSE_S,
    Incidents,
    alert_stream,
    kill,
    live_incidents,
    post,
    replayed_incidents,
    tocsin,
    tocsin_up,
    wait_caught_up,
    wait_snapshotted,
)

pytestmark = pytest.mark.e2e
# Snapshots every few inputs, so the restarted run recovers from one.
SNAPSHOT_EVERY = 4


@dataclass(frozen=True)
class LiveRun:
    data: Path
    incidents: Incidents


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("replay-live")
    (path / "tocsin.yaml").write_text(CONFIG)
    return path


def _feed(base: str, bodies: list[dict[str, object]]) -> None:
    for body in bodies:
        post(base, body)


@pytest.fixture(scope="module")
def runs(folder: Path) -> dict[str, LiveRun]:
    """The live runs at once: each mostly waits on its process and on the pause."""
    with ThreadPoolExecutor(3) as pool:
        uninterrupted = pool.submit(_uninterrupted, folder)
        crashed = pool.submit(_crashed, folder, "crashed", None)
        snapshotted = pool.submit(_crashed, folder, "snapshotted", SNAPSHOT_EVERY)
        return {
            "uninterrupted": uninterrupted.result(),
            "crashed": crashed.result(),
            "snapshotted": snapshotted.result(),
        }


def _uninterrupted(folder: Path) -> LiveRun:
    data = folder / "uninterrupted"
    first, second = alert_stream()
    with tocsin_up(data, folder / "tocsin.yaml", folder / "uninterrupted.log") as (_, base):
        _feed(base, first)
        time.sleep(PAUSE_S)
        _feed(base, second)
        wait_caught_up(data)
    return LiveRun(data, live_incidents(data))


def _crashed(folder: Path, name: str, snapshot_every: int | None) -> LiveRun:
    data = folder / name
    first, second = alert_stream()
    cut = len(first) // 2
    log = folder / f"{name}.log"
    config = folder / "tocsin.yaml"
    with tocsin_up(data, config, log, snapshot_every) as (process, base):
        _feed(base, first[:cut])
        if snapshot_every:
            wait_snapshotted(data)
        kill(process)  # at once: the correlator is likely still behind the last 202
    with tocsin_up(data, config, log, snapshot_every) as (_, base):
        _feed(base, first[cut:])
        time.sleep(PAUSE_S)
        _feed(base, second)
        wait_caught_up(data)
    return LiveRun(data, live_incidents(data))


def test_replay_killed_and_restarted_run_ends_with_the_incidents_of_an_uninterrupted_run(
    runs: dict[str, LiveRun],
) -> None:
    uninterrupted, crashed = runs["uninterrupted"], runs["crashed"]
    assert len(uninterrupted.incidents.by_id) >= 10
    assert crashed.incidents.by_content() == uninterrupted.incidents.by_content()


def test_replay_run_restarted_from_snapshots_ends_with_the_incidents_of_an_uninterrupted_run(
    folder: Path, runs: dict[str, LiveRun]
) -> None:
    uninterrupted, snapshotted = runs["uninterrupted"], runs["snapshotted"]
    lines = (folder / "snapshotted.log").read_text().splitlines()
    logged = [json.loads(line) for line in lines if line.startswith("{")]
    recoveries = [line for line in logged if line["message"] == "partition recovered"]
    assert any(line["snapshot_offset"] > 0 for line in recoveries)
    assert not [line for line in logged if "rebuilding from the input" in line["message"]]
    assert snapshotted.incidents.by_content() == uninterrupted.incidents.by_content()


@pytest.mark.parametrize("run", ["uninterrupted", "crashed", "snapshotted"])
def test_replay_of_export_gives_the_incidents_of_the_live_run(
    run: str, folder: Path, runs: dict[str, LiveRun]
) -> None:
    live = runs[run]
    config, exported = str(folder / "tocsin.yaml"), folder / f"{run}.jsonl"
    tocsin("export", "--config", config, "--data", str(live.data), "--output", str(exported))
    output = folder / f"{run}.incidents.jsonl"
    tocsin("replay", "--config", config, "--input", str(exported), "--output", str(output))
    live_members = {incident: members for incident, (_, _, members) in live.incidents.by_id.items()}
    assert replayed_incidents(output) == live_members
