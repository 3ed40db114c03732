"""The servers under test, each started on free loopback ports and stopped afterwards:
Tocsin ingest on the Kafka-protocol test broker (Tansu), Tocsin ingest on the embedded log,
and Alertmanager 0.25. Each says how many alerts it holds durably, where it can, and the CPU
time its processes have used (not the broker's)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from loadtests.ingest_bench.cpu import pid_with_argument, tree_cpu_seconds
from shared.topics import ALERTS
from tests.ingest.alertmanager_runner import running_alertmanager
from tests.support.brokers import free_port, tansu_broker
from tests.support.processes import stop

TOKEN = "bench-token"
# Empty reads in a row (of 0.5 s each) after which the alerts topic is read to its end.
_QUIET_POLLS_AT_END = 4
TOCSIN_CONFIG = f"""
integrations:
  - {{name: bench, type: canonical, token: {TOKEN}}}
correlation:
  domain_labels: [region]
"""
ALERTMANAGER_CONFIG = """
route:
  receiver: sink
  group_by: [alertname, region]
receivers:
  - name: sink
"""


@dataclass(frozen=True)
class Server:
    name: str
    port: int
    path: str
    headers: tuple[tuple[str, str], ...]
    durable_alerts: Callable[[], int | None]  # alert records on the log; None: not durable
    pid: int | None = None  # of the server (its workers are its children); None: not found

    def cpu_seconds(self) -> float | None:
        return None if self.pid is None else tree_cpu_seconds(self.pid)


@contextlib.contextmanager
def tocsin_on_kafka(folder: Path, workers: int) -> Iterator[Server]:
    """`tocsin ingest --workers N`: N processes share the port, as Alertmanager uses every core."""
    config = _config(folder)
    with tansu_broker(folder / "tansu.log") as bootstrap:
        command = ["-m", "services.cli.main", "ingest", "--config", str(config)]
        command += ["--kafka", bootstrap, "--workers", str(workers)]
        with _python_server(command, folder / "kafka-ingest.log") as (port, pid):
            yield Server(
                "tocsin/kafka",
                port,
                "/api/v1/alerts",
                (("Authorization", f"Bearer {TOKEN}"),),
                lambda: asyncio.run(_kafka_alert_records(bootstrap)),
                pid,
            )


@contextlib.contextmanager
def tocsin_on_embedded(folder: Path) -> Iterator[Server]:
    config, data = _config(folder), folder / "embedded-data"
    command = ["-m", "loadtests.ingest_bench.embedded_ingest", "--config", str(config)]
    log_path = folder / "embedded-ingest.log"
    with _python_server([*command, "--data", str(data)], log_path) as (port, pid):
        yield Server(
            "tocsin/embedded",
            port,
            "/api/v1/alerts",
            (("Authorization", f"Bearer {TOKEN}"),),
            lambda: _sqlite_alert_records(data / "tocsin.sqlite"),
            pid,
        )


@contextlib.contextmanager
def alertmanager(folder: Path) -> Iterator[Server]:
    with running_alertmanager(ALERTMANAGER_CONFIG, folder / "alertmanager") as url:
        port = int(url.rsplit(":", 1)[1])
        pid = pid_with_argument(f"--web.listen-address=127.0.0.1:{port}")
        yield Server("alertmanager", port, "/api/v2/alerts", (), lambda: None, pid)


def _config(folder: Path) -> Path:
    path = folder / "tocsin.yaml"
    path.write_text(TOCSIN_CONFIG, encoding="utf-8")
    return path


@contextlib.contextmanager
def _python_server(arguments: list[str], log_path: Path) -> Iterator[tuple[int, int]]:
    """Run `python <arguments> --port P` until ready; its port and pid."""
    port = free_port()
    env = {**os.environ, "TOCSIN_LOG_LEVEL": "WARNING", "TOCSIN_LOG_FORMAT": "text"}
    with log_path.open("ab") as sink:
        process = subprocess.Popen(
            [sys.executable, *arguments, "--port", str(port)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        _wait_ready(f"http://127.0.0.1:{port}/readyz", process, log_path)
        yield port, process.pid
    finally:
        stop(process)


def _wait_ready(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log_path.read_text()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"server not ready within 60s:\n{log_path.read_text()}")


async def _kafka_alert_records(bootstrap: str) -> int:
    """Every record on the alerts topic, read from the start: not the partitions' end offsets,
    which Tansu reports as its last batch's first offset + 1 and which then fall a few records
    short of what is stored (the check reported records missing that were all there)."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await reader.start()
    try:
        await reader.topics()  # the cluster's metadata, so that the topic's partitions are known
        sources = [TopicPartition(ALERTS, p) for p in reader.partitions_for_topic(ALERTS) or ()]
        reader.assign(sources)
        await reader.seek_to_beginning(*sources)
        counted, quiet_polls = 0, 0
        while quiet_polls < _QUIET_POLLS_AT_END:
            batches = await reader.getmany(timeout_ms=500, max_records=50_000)
            read = sum(len(records) for records in batches.values())
            counted, quiet_polls = counted + read, 0 if read else quiet_polls + 1
        return counted
    finally:
        await reader.stop()


def _sqlite_alert_records(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        row = connection.execute("SELECT COUNT(*) FROM records WHERE topic = ?", (ALERTS,))
        return int(row.fetchone()[0])
