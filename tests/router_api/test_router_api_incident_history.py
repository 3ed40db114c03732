"""The incidents API of `tocsin up` as wired from its settings, on a real embedded log: an
incident resolved longer ago than `TOCSIN_INCIDENT_HISTORY` (by the records' times) answers
404 as an unknown incident does, leaves the list, and refuses commands as an unknown one."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.support.incident_events import DAY, opened, resolved
from tests.support.router_api_app import router_api

ALICE = {"Authorization": "Bearer demo-alice-token"}  # a user of the demo config
T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


@contextlib.asynccontextmanager
async def served(tmp_path: Path, history: str) -> AsyncIterator[httpx.AsyncClient]:
    """The router's API wired as `tocsin up` wires it, with `TOCSIN_INCIDENT_HISTORY=history`,
    over a log where INC-OLD resolved 91 days before INC-NEW opened."""
    history_reads = [
        opened("INC-OLD", T0),
        resolved("INC-OLD", T0 + DAY),
        opened("INC-NEW", T0 + 92 * DAY),
    ]
    async with router_api(tmp_path, history_reads, history) as client:
        yield client


@pytest.fixture
async def with_90_days(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with served(tmp_path, "90d") as client:
        yield client


@pytest.fixture
async def forever(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with served(tmp_path, "0") as client:
        yield client


async def test_an_incident_past_the_history_answers_404_and_leaves_the_list(
    with_90_days: httpx.AsyncClient,
) -> None:
    gone = await with_90_days.get("/api/v1/incidents/INC-OLD", headers=ALICE)
    assert gone.status_code == 404
    assert gone.json() == {
        "status": "error",
        "message": "no incident INC-OLD: unknown, or resolved longer ago than the incident"
        " history (90d)",
    }
    unknown = await with_90_days.get("/api/v1/incidents/INC-NEVER", headers=ALICE)
    assert unknown.status_code == 404
    assert (await with_90_days.get("/api/v1/incidents/INC-NEW", headers=ALICE)).status_code == 200
    listed = (await with_90_days.get("/api/v1/incidents", headers=ALICE)).json()
    assert ([i["id"] for i in listed["incidents"]], listed["total"]) == (["INC-NEW"], 1)


async def test_a_command_on_an_incident_past_the_history_is_refused_as_for_an_unknown_one(
    with_90_days: httpx.AsyncClient,
) -> None:
    for path in ("INC-OLD/acknowledge", "INC-NEVER/acknowledge"):
        answer = await with_90_days.post(f"/api/v1/incidents/{path}", headers=ALICE)
        assert answer.status_code == 404
        assert answer.json()["message"].startswith("no incident INC-")


async def test_the_metrics_count_the_incidents_dropped(with_90_days: httpx.AsyncClient) -> None:
    metrics = (await with_90_days.get("/metrics")).text
    assert "tocsin_readmodel_incidents_dropped_total 1.0" in metrics


async def test_with_a_history_of_0_every_resolved_incident_is_kept(
    forever: httpx.AsyncClient,
) -> None:
    kept = await forever.get("/api/v1/incidents/INC-OLD", headers=ALICE)
    assert (kept.status_code, kept.json()["status"]) == (200, "resolved")


async def test_a_command_whose_own_time_puts_the_incident_past_the_history_is_refused(
    tmp_path: Path,
) -> None:
    # A quiet log: by the records' times INC-QUIET is kept, but by the wall clock (the API's,
    # which stamps the note) it resolved more than 90 days ago, so the note's own record would
    # drop it before it is folded; accepted, its outcome could never be told.
    reads = [opened("INC-QUIET", T0), resolved("INC-QUIET", T0 + DAY)]
    async with router_api(tmp_path, reads, "90d") as client:
        assert (await client.get("/api/v1/incidents/INC-QUIET", headers=ALICE)).status_code == 200

        noted = await client.post(
            "/api/v1/incidents/INC-QUIET/notes", json={"text": "post-mortem"}, headers=ALICE
        )

        assert noted.status_code == 404
        assert noted.json()["message"].startswith("no incident INC-QUIET: unknown, or resolved")
