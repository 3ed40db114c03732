"""The embedded mode killed with -9 under load keeps everything it acknowledged; a failing
notification endpoint is retried, recorded as failed and escalation falls back."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from shared.events import AlertReceived, NotificationFailed, decode_envelope, unwrap
from shared.log.embedded import EmbeddedLog
from shared.topics import ALERTS, NOTIFICATIONS
from tests.reliability.storm import Storm, storm_alerts, storm_config
from tests.support.processes import ManagedProcess
from tests.support.receiver import PageReceiver


async def _events(data: Path, topic: str) -> list[object]:
    log = EmbeddedLog(data / "tocsin.sqlite")
    await log.start()
    found: list[object] = []
    try:
        for partition in range(4):
            end = await log.end_offset(topic, partition)
            offset = 0
            while offset < end:
                batch = await log.read(topic, partition, offset, end)
                found.extend(unwrap(decode_envelope(r.value)) for r in batch)
                offset = batch[-1].offset + 1
    finally:
        await log.close()
    return found


def test_embedded_mode_killed_under_load_keeps_every_acknowledged_alert(
    tmp_path: Path, receiver: PageReceiver
) -> None:
    config = tmp_path / "tocsin.yaml"
    config.write_text(storm_config(receiver.url))
    data = tmp_path / "data"
    up = ManagedProcess(["up", "--config", str(config), "--data", str(data)], tmp_path / "up.log")
    up.start()
    storm = Storm(up.url, storm_alerts(40, 5, seed=3), 6.0).start()
    time.sleep(3.0)
    up.kill9()
    storm.join(5)
    acknowledged = list(storm.accepted)
    assert acknowledged, "the load should have been accepted before the kill"

    stored = asyncio.run(_events(data, ALERTS))
    stored_labels = [e.alert.labels for e in stored if isinstance(e, AlertReceived)]
    missing = [a for a in acknowledged if a["labels"] not in stored_labels]
    assert missing == []

    up.start()  # restarts on the same data and finishes the work
    try:
        _wait(lambda: len({p.json()["incident"]["id"] for p in receiver.received}) >= 1, 30)
    finally:
        up.stop()


def test_failing_endpoint_is_retried_then_recorded_failed_and_escalation_falls_back(
    tmp_path: Path, receiver: PageReceiver
) -> None:
    fallback = PageReceiver().start()
    receiver.statuses.extend([500] * 50)
    config = tmp_path / "tocsin.yaml"
    config.write_text(storm_config(receiver.url, fallback_url=fallback.url))
    data = tmp_path / "data"
    up = ManagedProcess(["up", "--config", str(config), "--data", str(data)], tmp_path / "up.log")
    up.start()
    try:
        storm = Storm(up.url, storm_alerts(1, 1, seed=1), 0.1).start()
        storm.join(30)
        _wait(lambda: len(fallback.received) >= 1, 60)
    finally:
        up.stop()
        fallback.stop()
    assert len(receiver.received) == 4  # the configured attempts, then given up
    assert len({r.headers["X-Tocsin-Notification-Id"] for r in receiver.received}) == 1
    [page] = fallback.received
    assert page.path == "/fallback"
    failures = [
        e for e in asyncio.run(_events(data, NOTIFICATIONS)) if isinstance(e, NotificationFailed)
    ]
    assert len(failures) == 1 and failures[0].attempts == 4 and "500" in failures[0].reason


def _wait(condition: object, timeout_s: float) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"condition not met within {timeout_s}s")
