"""A live `tocsin up` and the offline replay agree: killed with SIGKILL mid-stream and
restarted, it ends with the incidents of an uninterrupted run; and `tocsin replay` of its
`tocsin export` gives exactly the incidents (ids and alerts) its log holds."""

from __future__ import annotations

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
)

pytestmark = pytest.mark.e2e


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
    """Both live runs at once: each mostly waits on its process and on the pause."""
    with ThreadPoolExecutor(2) as pool:
        uninterrupted = pool.submit(_uninterrupted, folder)
        crashed = pool.submit(_crashed, folder)
        return {"uninterrupted": uninterrupted.result(), "crashed": crashed.result()}


def _uninterrupted(folder: Path) -> LiveRun:
    data = folder / "uninterrupted"
    first, second = alert_stream()
    with tocsin_up(data, folder / "tocsin.yaml", folder / "uninterrupted.log") as (_, base):
        _feed(base, first)
        time.sleep(PAUSE_S)
        _feed(base, second)
        wait_caught_up(data)
    return LiveRun(data, live_incidents(data))


def _crashed(folder: Path) -> LiveRun:
    data = folder / "crashed"
    first, second = alert_stream()
    cut = len(first) // 2
    log = folder / "crashed.log"
    with tocsin_up(data, folder / "tocsin.yaml", log) as (process, base):
        _feed(base, first[:cut])
        kill(process)  # at once: the correlator is likely still behind the last 202
    with tocsin_up(data, folder / "tocsin.yaml", log) as (_, base):
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


@pytest.mark.parametrize("run", ["uninterrupted", "crashed"])
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
