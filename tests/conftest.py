from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.brokers import kafka_bootstrap
from tests.support.receiver import PageReceiver


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap address of the Kafka-protocol broker the tests share."""
    log_dir: Path = tmp_path_factory.mktemp("broker")
    with kafka_bootstrap(log_dir / "broker.log") as bootstrap:
        yield bootstrap


@pytest.fixture
def receiver() -> Iterator[PageReceiver]:
    """A local HTTP server recording the pages posted to it."""
    server = PageReceiver().start()
    yield server
    server.stop()
