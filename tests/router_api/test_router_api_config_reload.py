"""The incidents API over HTTP follows a config reload the read model folds from the log:
a user the reload adds may use their token, one it removes may not, and the config silences
listed are the new config's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from services.correlator.reload import ruleset_records
from services.correlator.rulesets import version_of
from services.router.api.config import ApiConfig
from services.router.config import RouterConfig
from services.router.projection.tailer import ProjectionTailer
from services.router.rulesets import router_config_from_text
from services.router.service import incidents_api
from shared.config.settings import RuntimeSettings
from shared.events.incidents import RulesetActivated
from shared.log.embedded import EmbeddedLog
from shared.topics import ALL_TOPICS, INCIDENTS

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
ALICE = {"Authorization": "Bearer alice-token-0123456789"}
BOB = {"Authorization": "Bearer bob-token-0123456789"}
CAROL = {"Authorization": "Bearer carol-token-0123456789"}


def config(users: list[str], silence_comment: str) -> str:
    people = "".join(
        f"  - {{name: {name}, token: {name}-token-0123456789, contacts: [{{type: console}}]}}\n"
        for name in users
    )
    return f"""users:
{people}silences:
  - matchers: ['service="billing"']
    starts_at: 2026-11-27T09:00:00Z
    ends_at: 2026-11-27T12:00:00Z
    created_by: ops
    comment: {silence_comment}
"""


BEFORE = config(["alice", "bob"], "before the reload")
# The reload adds carol, removes bob and changes the config's silence.
AFTER = config(["alice", "carol"], "after the reload")


@dataclass
class Api:
    client: httpx.AsyncClient
    log: EmbeddedLog
    tailer: ProjectionTailer

    async def reload(self, text: str, at: datetime) -> None:
        await self.log.append(ruleset_records(text, "tocsin.yaml", 4, at, INCIDENTS))

    async def folded(self, records: int) -> None:
        """Wait until the read model has folded `records` records of the incidents topic."""

        def done() -> bool | None:
            return sum(self.tailer.positions()[INCIDENTS].values()) >= records or None

        assert await self.tailer.wait_until(done, 10)

    async def status(self, headers: dict[str, str]) -> int:
        return (await self.client.get("/api/v1/silences", headers=headers)).status_code

    async def config_silences(self) -> list[str]:
        answer = await self.client.get("/api/v1/silences", headers=ALICE)
        assert answer.status_code == 200, answer.text
        return [s["comment"] for s in answer.json()["silences"] if s["source"] == "config"]

    async def wait_for_status(self, headers: dict[str, str], status: int) -> int:
        """The answer's status once it is `status`, or the last one after 10 s."""
        for _ in range(200):
            found = await self.status(headers)
            if found == status:
                break
            await asyncio.sleep(0.05)
        return found


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    log = EmbeddedLog(tmp_path / "log.sqlite")
    await log.start()
    await log.ensure_topics({topic: 4 for topic in ALL_TOPICS})
    router = router_config_from_text(BEFORE, "tocsin.yaml")
    assert isinstance(router, RouterConfig)
    started = RulesetActivated(version=version_of(BEFORE), config=BEFORE, activated_at=T0)
    served = incidents_api(
        router,
        ApiConfig(),
        log,
        CollectorRegistry(),
        RuntimeSettings(),
        lambda: T0 + timedelta(minutes=5),
        b"link-secret",
        started,
    )
    app = FastAPI()
    app.include_router(served.router)
    stop = asyncio.Event()
    tailing = asyncio.create_task(served.tailer.run(stop))
    await asyncio.wait_for(served.tailer.ready.wait(), 10)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield Api(client, log, served.tailer)
    finally:
        stop.set()
        await tailing
        await log.close()


async def test_after_a_reload_an_added_user_is_let_in_and_a_removed_one_is_not(api: Api) -> None:
    assert (await api.status(ALICE), await api.status(BOB), await api.status(CAROL)) == (
        200,
        200,
        401,
    )

    await api.reload(AFTER, T0 + timedelta(minutes=1))

    assert await api.wait_for_status(CAROL, 200) == 200
    assert (await api.status(ALICE), await api.status(BOB)) == (200, 401)


async def test_after_a_reload_the_config_silences_listed_are_the_new_configs(api: Api) -> None:
    assert await api.config_silences() == ["before the reload"]

    await api.reload(AFTER, T0 + timedelta(minutes=1))
    await api.wait_for_status(CAROL, 200)

    assert await api.config_silences() == ["after the reload"]


async def test_a_reload_older_than_the_config_the_process_started_with_changes_nothing(
    api: Api,
) -> None:
    # Given a reload written before this process started (with BEFORE), read after it
    await api.reload(AFTER, T0 - timedelta(minutes=1))
    await api.folded(4)

    # Then the API answers with the config the process started with
    assert (await api.status(BOB), await api.status(CAROL)) == (200, 401)
    assert await api.config_silences() == ["before the reload"]
