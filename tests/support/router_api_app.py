"""The router's API wired as `tocsin up` wires it (the demo config), in-process over an
embedded log holding the given incident events, once its read model caught up."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import httpx
from fastapi import FastAPI

from services.cli.assembly import Assembly, make_app
from services.cli.config_bundle import load_tocsin_config
from services.cli.wiring import add_router
from services.router.projection.tailer import ProjectionTailer
from shared.config.settings import RuntimeSettings
from shared.events import deterministic_id, encode_envelope, wrap
from shared.log.embedded import EmbeddedLog
from shared.log.port import Outgoing
from shared.topics import ALL_TOPICS, INCIDENTS
from tests.support.incident_events import Read


@contextlib.asynccontextmanager
async def router_api(
    tmp_path: Path, reads: Sequence[Read], history: str | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the API; `reads` are on `tocsin.incidents` first (event ids r0, r1...),
    `history` is `TOCSIN_INCIDENT_HISTORY` (None: the default)."""
    event_log = EmbeddedLog(tmp_path / "log.sqlite")
    await event_log.start()
    await event_log.ensure_topics({topic: 4 for topic in ALL_TOPICS})
    await event_log.append([_record(read, f"r{n}") for n, read in enumerate(reads)])
    extra = {} if history is None else {"incident_history": history}
    settings = RuntimeSettings(data_dir=tmp_path / "data", link_secret="s" * 32, port=8080, **extra)
    assembly = Assembly(event_log, partitions=4)
    add_router(assembly, load_tocsin_config(None), settings)
    [tailer] = [runner for runner in assembly.runners if isinstance(runner, ProjectionTailer)]
    app: FastAPI = make_app(assembly, "tocsin")
    stop = asyncio.Event()
    task = asyncio.create_task(tailer.run(stop))
    try:
        await asyncio.wait_for(asyncio.shield(tailer.ready.wait()), 10)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tocsin") as client:
            yield client
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await event_log.close()


def _record(read: Read, name: str) -> Outgoing:
    envelope = wrap(
        read.event, key="region=eu", event_id=deterministic_id(name), occurred_at=read.at
    )
    return Outgoing(INCIDENTS, "region=eu", encode_envelope(envelope))
