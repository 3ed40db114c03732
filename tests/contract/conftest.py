"""Fixtures of the contract tests: an event log of either backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shared.log.embedded import EmbeddedLog
from shared.log.kafka import KafkaLog
from shared.log.port import EventLog


@pytest.fixture(params=["embedded", "kafka"])
async def state_log(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[EventLog]:
    """A started log, embedded or on the Kafka-protocol test broker."""
    log: EventLog
    if request.param == "embedded":
        log = EmbeddedLog(tmp_path / "log.sqlite")
    else:
        log = KafkaLog(request.getfixturevalue("kafka"))
    await log.start()
    yield log
    await log.close()
