"""kill -9 of the correlator and of the router mid-storm (restarting from snapshots of their
state), and a correlator group losing a member (its partitions rebuilt from the input):
afterwards every problem is one incident paged once, as without the crashes."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import cast

import pytest

from tests.reliability.storm import Storm, storm_alerts, storm_config
from tests.support.brokers import tansu_broker
from tests.support.processes import ManagedProcess
from tests.support.receiver import PageReceiver

PROBLEMS = 24
PER_PROBLEM = 3


def _service(
    name: str, tmp_path: Path, config: Path, bootstrap: str, n: int = 0, snapshot_every: int = 0
) -> ManagedProcess:
    args = [name, "--config", str(config), "--kafka", bootstrap]
    env = {"TOCSIN_SNAPSHOT_EVERY": str(snapshot_every)} if snapshot_every else None
    return ManagedProcess(args, tmp_path / f"{name}-{n}.log", env=env)


def _problems(alerts: list[dict[str, object]]) -> set[str]:
    return {str(cast(dict[str, str], alert["labels"])["alertname"]) for alert in alerts}


def _recovered_from_snapshots(log: Path) -> bool:
    logged = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    recoveries = [line for line in logged if line["message"] == "partition recovered"]
    unused = [line for line in logged if "rebuilding from the input" in line["message"]]
    return any(line["snapshot_offset"] > 0 for line in recoveries) and not unused


def _pages_by_incident(receiver: PageReceiver) -> tuple[Counter[str], Counter[str]]:
    by_incident: Counter[str] = Counter()
    by_notification: Counter[str] = Counter()
    for page in receiver.received:
        body = page.json()
        by_incident[body["incident"]["id"]] += 1
        by_notification[page.headers["X-Tocsin-Notification-Id"]] += 1
    return by_incident, by_notification


def _await_pages(receiver: PageReceiver, distinct: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if len(_pages_by_incident(receiver)[1]) >= distinct:
            break
        time.sleep(0.2)
    time.sleep(3)  # late duplicates would arrive by now


def _assert_each_problem_paged_once(receiver: PageReceiver, crashes: int) -> None:
    by_incident, by_notification = _pages_by_incident(receiver)
    assert len(by_notification) == PROBLEMS, by_notification
    assert len(by_incident) == PROBLEMS
    titles = Counter(
        page.json()["incident"]["title"].split(" on ")[0] for page in receiver.received
    )
    assert set(titles) == {f"Problem{p:03d}" for p in range(PROBLEMS)}
    # A page is resent only if a crash hit between delivery and its record, with the same id.
    assert sum(by_notification.values()) <= PROBLEMS + crashes


@pytest.mark.kafka
def test_killing_correlator_and_router_mid_storm_pages_each_problem_once(
    tmp_path: Path, receiver: PageReceiver
) -> None:
    config = tmp_path / "tocsin.yaml"
    config.write_text(storm_config(receiver.url))
    with tansu_broker(tmp_path / "broker.log") as bootstrap:
        ingest = _service("ingest", tmp_path, config, bootstrap).start()
        correlator = _service("correlator", tmp_path, config, bootstrap).start()
        router = _service("router", tmp_path, config, bootstrap).start()
        try:
            storm = Storm(ingest.url, storm_alerts(PROBLEMS, PER_PROBLEM, seed=7), 8.0).start()
            time.sleep(2.5)
            correlator.kill9()
            correlator.start()
            time.sleep(2.0)
            router.kill9()
            router.start()
            storm.join(120)
            assert len(storm.accepted) == PROBLEMS * PER_PROBLEM
            _await_pages(receiver, PROBLEMS, timeout_s=90)
        finally:
            for process in (ingest, correlator, router):
                process.stop()
    _assert_each_problem_paged_once(receiver, crashes=1)


@pytest.mark.kafka
def test_correlator_and_router_killed_after_snapshots_restart_from_them_and_page_once(
    tmp_path: Path, receiver: PageReceiver
) -> None:
    config = tmp_path / "tocsin.yaml"
    config.write_text(storm_config(receiver.url))
    alerts = storm_alerts(PROBLEMS, PER_PROBLEM, seed=23)
    first, second = alerts[: len(alerts) // 2], alerts[len(alerts) // 2 :]
    with tansu_broker(tmp_path / "broker.log") as bootstrap:
        ingest = _service("ingest", tmp_path, config, bootstrap).start()
        correlator = _service("correlator", tmp_path, config, bootstrap, snapshot_every=5)
        router = _service("router", tmp_path, config, bootstrap, snapshot_every=5)
        try:
            correlator.start()
            router.start()
            # Given every problem of the first half paged, so state and snapshots hold them,
            Storm(ingest.url, first, 2.0).start().join(120)
            _await_pages(receiver, len(_problems(first)), timeout_s=90)
            # when both are killed and restarted, and the second half comes in,
            correlator.kill9()
            router.kill9()
            correlator.start()
            router.start()
            storm = Storm(ingest.url, second, 2.0).start()
            storm.join(120)
            _await_pages(receiver, PROBLEMS, timeout_s=90)
        finally:
            for process in (ingest, correlator, router):
                process.stop()
    # then each problem paged once, and both recovered from their snapshots.
    _assert_each_problem_paged_once(receiver, crashes=0)
    assert _recovered_from_snapshots(tmp_path / "correlator-0.log")
    assert _recovered_from_snapshots(tmp_path / "router-0.log")


@pytest.mark.kafka
def test_a_correlator_group_member_killed_mid_stream_hands_over_its_partitions(
    tmp_path: Path, receiver: PageReceiver
) -> None:
    config = tmp_path / "tocsin.yaml"
    config.write_text(storm_config(receiver.url))
    with tansu_broker(tmp_path / "broker.log") as bootstrap:
        ingest = _service("ingest", tmp_path, config, bootstrap).start()
        first = _service("correlator", tmp_path, config, bootstrap, 1).start()
        second = _service("correlator", tmp_path, config, bootstrap, 2).start()
        router = _service("router", tmp_path, config, bootstrap).start()
        try:
            storm = Storm(ingest.url, storm_alerts(PROBLEMS, PER_PROBLEM, seed=11), 8.0).start()
            time.sleep(3.0)
            second.kill9()
            storm.join(120)
            assert len(storm.accepted) == PROBLEMS * PER_PROBLEM
            _await_pages(receiver, PROBLEMS, timeout_s=90)
        finally:
            for process in (ingest, first, second, router):
                process.stop()
    _assert_each_problem_paged_once(receiver, crashes=0)
