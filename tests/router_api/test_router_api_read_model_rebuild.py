"""The read model's tailer on a real embedded log: rebuilt from what is already there before
it says it is ready, then kept current, so a command's verdict can be waited for."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.router.projection.load import ThreadLoad
from services.router.projection.model import Verdict
from services.router.projection.tailer import ProjectionTailer
from shared.alerts import Alert, Layer, Severity
from shared.events import (
    EscalationStepFired,
    IncidentOpened,
    deterministic_id,
    encode_envelope,
    wrap,
)
from shared.events.base import Event
from shared.events.notifications import CommandApplied
from shared.log.embedded import EmbeddedLog
from shared.log.port import Outgoing
from shared.topics import ALL_TOPICS, INCIDENTS, NOTIFICATIONS

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def opened(incident_id: str) -> IncidentOpened:
    alert = Alert(
        fingerprint=incident_id,
        status="firing",
        severity=Severity.CRITICAL,
        layer=Layer.INFRASTRUCTURE,
        labels={"alertname": "NodeDown"},
        starts_at=T0,
        source="canonical",
        integration="test",
        received_at=T0,
    )
    return IncidentOpened(
        incident_id=incident_id,
        domain="region=eu",
        title="NodeDown",
        priority="P1",
        receivers=["team"],
        group_key=incident_id,
        opened_at=T0,
        notify_after=T0,
        alert=alert,
        rule="route 0",
        ruleset_version="v1",
        reason="test",
    )


def record(topic: str, key: str, event: Event, name: str) -> Outgoing:
    envelope = wrap(event, key=key, event_id=deterministic_id(name), occurred_at=T0)
    return Outgoing(topic, key, encode_envelope(envelope))


@pytest.fixture
async def event_log(tmp_path: Path) -> AsyncIterator[EmbeddedLog]:
    log = EmbeddedLog(tmp_path / "log.sqlite")
    await log.start()
    await log.ensure_topics({topic: 4 for topic in ALL_TOPICS})
    yield log
    await log.close()


async def test_read_model_is_rebuilt_from_the_log_before_it_is_ready(
    event_log: EmbeddedLog,
) -> None:
    fired = EscalationStepFired(
        incident_id="INC-7",
        policy="team",
        step=0,
        repeat=0,
        generation=0,
        at=T0,
        targets=["user:alice"],
        reason="step due",
    )
    history = [record(INCIDENTS, "region=eu", opened(f"INC-{n}"), f"open-{n}") for n in range(8)]
    history.append(record(NOTIFICATIONS, "INC-7", fired, "fired"))
    history.append(Outgoing(INCIDENTS, "region=eu", b"not an envelope"))
    await event_log.append(history)
    tailer = ProjectionTailer(event_log)
    stop = asyncio.Event()
    running = asyncio.create_task(tailer.run(stop))
    await asyncio.wait_for(tailer.ready.wait(), 5)
    assert sorted(tailer.projection.incidents) == [f"INC-{n}" for n in range(8)]
    kinds = [e.kind for e in tailer.projection.incidents["INC-7"].ordered_timeline()]
    assert kinds == ["IncidentOpened", "EscalationStepFired"]
    stop.set()
    await asyncio.wait_for(running, 5)


async def test_a_verdict_appended_later_is_seen_by_whoever_waits_for_it(
    event_log: EmbeddedLog,
) -> None:
    await event_log.append([record(INCIDENTS, "region=eu", opened("INC-1"), "open")])
    tailer = ProjectionTailer(event_log)
    stop = asyncio.Event()
    running = asyncio.create_task(tailer.run(stop))
    await asyncio.wait_for(tailer.ready.wait(), 5)
    view = tailer.projection.incidents["INC-1"]
    assert await tailer.wait_until(lambda: view.verdicts.get("c1"), 0.05) is None
    applied = CommandApplied(
        command_id="c1", incident_id="INC-1", command="acknowledge", actor="alice", at=T0
    )
    waiting = asyncio.create_task(tailer.wait_until(lambda: view.verdicts.get("c1"), 5))
    await event_log.append([record(NOTIFICATIONS, "INC-1", applied, "verdict")])
    assert await waiting == Verdict(True, "", T0)
    stop.set()
    await asyncio.wait_for(running, 5)


async def test_records_read_while_the_loop_is_busy_are_in_every_answer(
    event_log: EmbeddedLog,
) -> None:
    always_busy = ThreadLoad(threshold=-1.0)  # the backlog waits for reads, however idle
    tailer = ProjectionTailer(event_log, load=always_busy)
    stop = asyncio.Event()
    running = asyncio.create_task(tailer.run(stop))
    await asyncio.wait_for(tailer.ready.wait(), 5)
    await event_log.append([record(INCIDENTS, "region=eu", opened("INC-2"), "open-2")])
    view = await tailer.wait_until(lambda: tailer.projection.incidents.get("INC-2"), 5)
    assert view is not None and view.status == "triggered"
    assert "INC-2" in (await tailer.current()).incidents
    stop.set()
    await asyncio.wait_for(running, 5)
