"""Analytics over many incidents give the event loop turns while they fold them: in `tocsin up`
the same loop takes alerts and sends pages."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.router.api.routes_queries import ANALYTICS_BATCH
from tests.support.incident_events import opened
from tests.support.router_api_app import router_api

ALICE = {"Authorization": "Bearer demo-alice-token"}
T0 = datetime(2026, 11, 23, tzinfo=UTC)


async def test_folding_many_incidents_leaves_the_loop_turns_between_batches(
    tmp_path: Path,
) -> None:
    count = 10 * ANALYTICS_BATCH
    reads = [opened(f"INC-{n:05d}", T0 + timedelta(seconds=n)) for n in range(count)]
    async with router_api(tmp_path, reads, history="0") as client:
        turns = 0
        done = asyncio.Event()

        async def other_work() -> None:
            nonlocal turns
            while not done.is_set():
                turns += 1
                await asyncio.sleep(0)

        worker = asyncio.create_task(other_work())
        answer = await client.get(
            "/api/v1/analytics?since=2026-11-22T00:00:00Z&until=2026-11-30T00:00:00Z",
            headers=ALICE,
        )
        done.set()
        await worker

    assert answer.status_code == 200, answer.text
    assert answer.json()["incidents"]["opened"] == count
    assert turns >= 10  # a turn per batch at least
