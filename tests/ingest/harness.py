"""An ingest app on the embedded log, driven over HTTP in-process, and its log read back."""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio.from_thread
import httpx
import uvicorn
from fastapi import FastAPI

from services.cli.assembly import Assembly, make_app
from services.cli.config_bundle import load_tocsin_config
from services.cli.wiring import add_ingest
from services.ingest.service import ingest_router
from shared.config.settings import RuntimeSettings
from shared.events import Envelope, decode_envelope, unwrap
from shared.events.base import Event
from shared.log.embedded import EmbeddedLog
from shared.log.partitioning import partition_for
from shared.topics import ALERTS, PAYLOADS
from tests.support.brokers import free_port

PARTITIONS = 4
START = datetime(2026, 11, 27, 6, 50, tzinfo=UTC)

AM_TOKEN = "am-token-0001"
GRAFANA_TOKEN = "grafana-token-0001"
JSON_TOKEN = "json-token-0001"
PD_KEY = "e93facc04764012d7bfb002500d5d1a6"
PD_OTHER_KEY = "b2c3d4e5f60718293a4b5c6d7e8f9012"
PD_DISABLED_KEY = "0000000000000000000000000000dead"
GENIE_KEY = "genie-key-0001"
GENIE_DISABLED_KEY = "genie-key-disabled"
HEARTBEAT_TOKEN = "heartbeat-token-0001"
OTHER_HEARTBEAT_TOKEN = "heartbeat-token-0002"

CONFIG = f"""
integrations:
  - {{name: prom, type: alertmanager, token: {AM_TOKEN}}}
  - {{name: grafana, type: grafana, token: {GRAFANA_TOKEN}}}
  - {{name: json, type: canonical, token: {JSON_TOKEN}}}
  - name: pd
    type: pagerduty
    token: {PD_KEY}
    default_labels: {{region: eu-west, team: storage}}
  - {{name: pd-other, type: pagerduty, token: {PD_OTHER_KEY}, default_labels: {{region: us-east}}}}
  - {{name: pd-off, type: pagerduty, token: {PD_DISABLED_KEY}, enabled: false}}
  - {{name: genie, type: opsgenie, token: {GENIE_KEY}, default_labels: {{region: ap-south}}}}
  - {{name: genie-off, type: opsgenie, token: {GENIE_DISABLED_KEY}, enabled: false}}
heartbeats:
  - name: prometheus
    interval: 2m
    token: {HEARTBEAT_TOKEN}
    labels: {{region: eu-west}}
    watchdog: 'alertname="Watchdog"'
  - name: batch
    interval: 1h
    token: {OTHER_HEARTBEAT_TOKEN}
    labels: {{region: us-east}}
correlation:
  domain_labels: [region]
max_body_bytes: 65536
"""


@dataclass
class Clock:
    """The ingest clock, set by the test: every request is received at `now`."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 1.0) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now

    def monotonic(self) -> float:
        """Seconds since `START`: the rate limits' clock, when the app is built with it."""
        return (self.now - START).total_seconds()


@dataclass(frozen=True)
class Logged:
    topic: str
    partition: int
    key: str
    envelope: Envelope
    event: Event
    raw: bytes  # the record's value as stored


@dataclass
class Ingest:
    """The app on its own event loop thread; `post` and `events` are called from the test."""

    portal: anyio.from_thread.BlockingPortal
    client: httpx.AsyncClient
    log: EmbeddedLog
    clock: Clock
    app: FastAPI
    seen: dict[tuple[str, int], int] = field(default_factory=dict)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        if body is not None:
            kwargs["json"] = body
        return self.portal.call(functools.partial(self.client.post, path, **kwargs))

    def get(self, path: str) -> httpx.Response:
        return self.portal.call(self.client.get, path)

    def events(self, topic: str, *, since_last: bool = False) -> list[Logged]:
        """Events on `topic` by partition, in offset order: all, or those not returned yet."""
        found: list[Logged] = []
        for partition in range(PARTITIONS):
            start = self.seen.get((topic, partition), 0) if since_last else 0
            records = self.portal.call(self.log.read, topic, partition, start, 1 << 62)
            for record in records:
                envelope = decode_envelope(record.value)
                found.append(
                    Logged(topic, partition, record.key, envelope, unwrap(envelope), record.value)
                )
                self.seen[(topic, partition)] = record.offset + 1
        return found

    def new_events(self, topic: str) -> list[Logged]:
        return self.events(topic, since_last=True)

    def alerts(self) -> list[Logged]:
        return self.new_events(ALERTS)

    def payloads(self) -> list[Logged]:
        return self.new_events(PAYLOADS)


def partition_of(key: str) -> int:
    return partition_for(key, PARTITIONS)


def build_app(
    folder: Path, clock: Clock, config: str = CONFIG, *, manual_rate_clock: bool = False
) -> tuple[FastAPI, EmbeddedLog]:
    """The app as `tocsin` wires it; with `manual_rate_clock`, rate limits read `clock` too."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "tocsin.yaml"
    path.write_text(config, encoding="utf-8")
    event_log = EmbeddedLog(folder / "log.sqlite")
    assembly = Assembly(event_log, partitions=PARTITIONS, clock=clock)
    settings = RuntimeSettings(append_timeout_s=5.0)
    if manual_rate_clock:
        routes = ingest_router(
            load_tocsin_config(path).ingest,
            event_log,
            assembly.registry,
            settings,
            clock,
            monotonic=clock.monotonic,
        )
        assembly.routers.append(routes)
    else:
        add_ingest(assembly, load_tocsin_config(path), settings)
    return make_app(assembly, "tocsin-ingest-test"), event_log


@contextlib.contextmanager
def served_over_http(ingest: Ingest) -> Iterator[str]:
    """Also serve the running app on a real loopback port (uvicorn, on the app's own loop)."""
    port = free_port()
    config = uvicorn.Config(
        ingest.app, host="127.0.0.1", port=port, lifespan="off", log_config=None
    )
    server = uvicorn.Server(config)
    serving = ingest.portal.start_task_soon(server.serve)
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        serving.result(timeout=10)


@contextlib.contextmanager
def running_ingest(
    folder: Path, config: str = CONFIG, *, manual_rate_clock: bool = False
) -> Iterator[Ingest]:
    clock = Clock()
    app, event_log = build_app(folder, clock, config, manual_rate_clock=manual_rate_clock)
    with (
        anyio.from_thread.start_blocking_portal() as portal,
        portal.wrap_async_context_manager(app.router.lifespan_context(app)),
    ):
        transport = httpx.ASGITransport(app=app)
        client = httpx.AsyncClient(transport=transport, base_url="http://ingest.test")
        try:
            yield Ingest(portal, client, event_log, clock, app)
        finally:
            portal.call(client.aclose)
