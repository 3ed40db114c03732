"""Composition root: which services run in this process, on which log, behind one HTTP app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from fastapi import APIRouter, FastAPI
from prometheus_client import CollectorRegistry
from starlette.types import Receive, Scope, Send

from services.cli.direct_routes import DirectRoutes
from shared.health import health_router
from shared.log.port import EventLog
from shared.metrics import new_registry
from shared.runtime.lag_metrics import ConsumerLagCollector
from shared.runtime.runner import PartitionedRunner
from shared.runtime.timer_metrics import OverdueTimersCollector
from shared.topics import ALL_TOPICS

log = logging.getLogger(__name__)


class Runner(Protocol):
    """A background loop of the process: consumer runners, read-model tailers."""

    async def run(self, stop: asyncio.Event) -> None: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Assembly:
    """What one process runs: consumer loops and HTTP routes, sharing a log and a registry."""

    event_log: EventLog
    partitions: int
    registry: CollectorRegistry = field(default_factory=new_registry)
    runners: list[Runner] = field(default_factory=list)
    routers: list[APIRouter] = field(default_factory=list)
    clock: Callable[[], datetime] = utc_now
    on_start: list[Callable[[], object]] = field(default_factory=list)


def _stop_process_if_failed(task: asyncio.Task[None]) -> None:
    """A consumer loop that died leaves its partitions unprocessed: stop the process so its
    supervisor restarts it and recovery replays from the committed offsets."""
    if task.cancelled() or task.exception() is None:
        return
    log.critical("consumer loop failed", exc_info=task.exception())
    os.kill(os.getpid(), signal.SIGTERM)


class TocsinApp(FastAPI):
    """The app, with ingest's POST paths served without the middleware stack (see
    `direct_routes`): they are every alert's way in."""

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        self._direct = DirectRoutes(self)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope = _without_trailing_slash(scope)
        found = self._direct.handler_for(scope)
        if found is None:
            await super().__call__(scope, receive, send)
        else:
            await self._direct.serve(found, scope, receive, send)


def _without_trailing_slash(scope: Scope) -> Scope:
    """A POST to `/v2/alerts/` is served as one to `/v2/alerts`: vendors' own SDKs add the
    slash (Opsgenie's for Node, PagerDuty's `pypd`), and the framework's answer, a redirect,
    loses the body (clients do not follow it for a POST, or follow it to the wrong scheme
    behind a TLS proxy)."""
    path = scope.get("path", "")
    if scope["type"] != "http" or scope["method"] != "POST" or len(path) < 2:
        return scope
    if not path.endswith("/"):
        return scope
    raw = scope.get("raw_path")
    trimmed = {**scope, "path": path.rstrip("/") or "/"}
    if isinstance(raw, bytes) and raw.endswith(b"/"):
        trimmed["raw_path"] = raw.rstrip(b"/") or b"/"
    return trimmed


def make_app(assembly: Assembly, title: str) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await assembly.event_log.start()
        await assembly.event_log.ensure_topics({t: assembly.partitions for t in ALL_TOPICS})
        stop = asyncio.Event()
        tasks = [asyncio.create_task(runner.run(stop)) for runner in assembly.runners]
        for task in tasks:
            task.add_done_callback(_stop_process_if_failed)
        log.info("started", extra={"service": title, "runners": len(tasks)})
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await assembly.event_log.close()

    consumers = [runner for runner in assembly.runners if isinstance(runner, PartitionedRunner)]
    if consumers:
        assembly.registry.register(ConsumerLagCollector(consumers))
        assembly.registry.register(OverdueTimersCollector(consumers, assembly.clock))
    app = TocsinApp(title=title, version="0.1.0", lifespan=lifespan)
    app.include_router(health_router(assembly.event_log.ping, assembly.registry))
    for router in assembly.routers:
        app.include_router(router)
    return app
