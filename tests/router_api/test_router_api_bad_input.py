"""What the incidents and silences API refuses, and how it names it, on `tocsin up`'s wiring
over a real embedded log: every refusal a 4xx naming the parameter or field, none applied."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.incident_events import opened, resolved
from tests.support.router_api_app import router_api

ALICE = {"Authorization": "Bearer demo-alice-token"}  # a user of the demo config
T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


@contextlib.asynccontextmanager
async def served(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The router's API wired as `tocsin up` wires it (demo config), INC-1 open on its log."""
    async with router_api(tmp_path, [opened("INC-1", T0)]) as client:
        yield client


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with served(tmp_path) as client:
        yield client


def refused_fields(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 422, answer.text
    return [e["field"] for e in answer.json()["errors"]]


async def test_a_list_parameter_given_twice_is_refused_not_half_read(
    api: httpx.AsyncClient,
) -> None:
    answer = await api.get("/api/v1/incidents?status=triggered&status=resolved", headers=ALICE)
    assert refused_fields(answer) == ["status"]
    assert answer.json()["errors"][0]["message"] == "given more than once"


async def test_a_time_window_that_ends_before_it_starts_is_refused_naming_until(
    api: httpx.AsyncClient,
) -> None:
    query = "since=2026-01-06T00:00:00Z&until=2026-01-05T00:00:00Z"
    answer = await api.get(f"/api/v1/incidents?{query}", headers=ALICE)
    assert refused_fields(answer) == ["until"]
    assert "must be after since" in answer.json()["errors"][0]["message"]


async def test_an_offset_whose_plus_was_not_url_encoded_is_refused_with_the_fix(
    api: httpx.AsyncClient,
) -> None:
    answer = await api.get("/api/v1/incidents?since=2026-01-05T10:00:00+01:00", headers=ALICE)
    assert refused_fields(answer) == ["since"]
    assert "%2B" in answer.json()["errors"][0]["message"]
    encoded = await api.get("/api/v1/incidents?since=2026-01-05T10:00:00%2B01:00", headers=ALICE)
    assert [i["id"] for i in encoded.json()["incidents"]] == ["INC-1"]


async def test_an_empty_service_filter_is_refused(api: httpx.AsyncClient) -> None:
    answer = await api.get("/api/v1/incidents?service=", headers=ALICE)
    assert refused_fields(answer) == ["service"]


@pytest.mark.parametrize("duration", [True, 1.5, "1500ms"])
async def test_a_snooze_of_no_whole_seconds_or_of_true_is_refused(
    api: httpx.AsyncClient, duration: Any
) -> None:
    answer = await api.post(
        "/api/v1/incidents/INC-1/snooze", json={"duration": duration}, headers=ALICE
    )
    assert refused_fields(answer) == ["duration"]
    incident = (await api.get("/api/v1/incidents/INC-1", headers=ALICE)).json()
    assert incident["status"] == "triggered"  # nothing was issued


async def test_a_body_that_is_no_json_object_is_refused_in_plain_words(
    api: httpx.AsyncClient,
) -> None:
    answer = await api.post("/api/v1/incidents/INC-1/notes", content=b"[1, 2]", headers=ALICE)
    assert refused_fields(answer) == ["(body)"]
    assert answer.json()["errors"][0]["message"] == "the body must be a JSON object"


SILENCE = {"matchers": ['service="billing"'], "comment": "db migration"}


async def test_a_silence_ending_before_it_starts_is_refused_naming_ends_at(
    api: httpx.AsyncClient,
) -> None:
    starts = datetime.now(UTC) + timedelta(days=10)
    window = {"starts_at": starts.isoformat(), "ends_at": (starts - timedelta(hours=1)).isoformat()}
    answer = await api.post("/api/v1/silences", json={**SILENCE, **window}, headers=ALICE)
    assert refused_fields(answer) == ["ends_at"]
    assert answer.json()["errors"][0]["message"] == "must be after starts_at"


@pytest.mark.parametrize("duration", [True, "0", -60])
async def test_a_silence_of_no_positive_duration_is_refused_naming_duration(
    api: httpx.AsyncClient, duration: Any
) -> None:
    body = {**SILENCE, "duration": duration}
    answer = await api.post("/api/v1/silences", json=body, headers=ALICE)
    assert refused_fields(answer) == ["duration"]
    listed = (await api.get("/api/v1/silences", headers=ALICE)).json()["silences"]
    assert [s["source"] for s in listed] == ["config"]  # only the demo config's


async def test_a_command_refused_before_the_log_is_logged_with_who_tried_what(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a resolved incident: resolving it again never reaches the log
    async with router_api(tmp_path, [opened("INC-1", T0), resolved("INC-1", T0)]) as client:
        with caplog.at_level(logging.INFO, logger="services.router.api.issuing"):
            answer = await client.post("/api/v1/incidents/INC-1/resolve", headers=ALICE)

    # Then the 409 leaves a line naming the incident, the command, the actor and the reason
    assert answer.status_code == 409, answer.text
    [line] = [r for r in caplog.records if r.name == "services.router.api.issuing"]
    assert line.getMessage() == f"incident command refused: {answer.json()['message']}"
    facts = (line.incident_id, line.command, line.actor)  # type: ignore[attr-defined]
    assert facts == ("INC-1", "resolve", "alice")
