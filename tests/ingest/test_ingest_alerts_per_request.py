"""How many alerts one request may carry: Alertmanager retries no 4xx, so a group over the
limit is lost. The default takes large groups; `max_alerts_per_request` sets it, for ingest
and for replay alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from services.cli.config_bundle import load_tocsin_config
from services.cli.replay_input import ReceivedPayload
from services.cli.replay_normalize import PayloadNormalizer
from tests.ingest.harness import AM_TOKEN, CONFIG, START, Ingest, running_ingest

AM = {"Authorization": f"Bearer {AM_TOKEN}"}


def webhook(count: int) -> dict[str, Any]:
    alerts = [
        {
            "status": "firing",
            "labels": {"alertname": "PodDown", "pod": f"p{index}", "region": "eu-west"},
            "annotations": {},
            "startsAt": "2026-11-27T06:49:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
        }
        for index in range(count)
    ]
    return {"version": "4", "status": "firing", "receiver": "tocsin", "alerts": alerts}


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ingest]:
    config = CONFIG.replace("max_body_bytes: 65536", "max_body_bytes: 5242880")
    with running_ingest(tmp_path_factory.mktemp("large"), config) as running:
        yield running


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ingest]:
    config = CONFIG + "max_alerts_per_request: 2\n"
    with running_ingest(tmp_path_factory.mktemp("small"), config) as running:
        yield running


def test_a_group_of_several_thousand_alerts_is_accepted_by_default(large: Ingest) -> None:
    answer = large.post("/api/v1/alerts/alertmanager", webhook(5000), headers=AM)
    assert (answer.status_code, answer.json()["accepted"]) == (202, 5000)
    stored = 0
    while batch := large.alerts():  # the log is read a batch at a time
        stored += len(batch)
    assert stored == 5000


def test_the_configured_limit_refuses_a_larger_batch_naming_the_list(small: Ingest) -> None:
    assert small.post("/api/v1/alerts/alertmanager", webhook(2), headers=AM).status_code == 202
    refused = small.post("/api/v1/alerts/alertmanager", webhook(3), headers=AM)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["alerts"]
    assert "at most 2" in refused.json()["errors"][0]["message"]


def test_replay_holds_bodies_to_the_configured_limit(tmp_path: Path) -> None:
    path = tmp_path / "tocsin.yaml"
    path.write_text(CONFIG + "max_alerts_per_request: 2\n", encoding="utf-8")
    normalizer = PayloadNormalizer(load_tocsin_config(path).ingest)

    def normalized(count: int) -> Any:
        return normalizer.normalize(
            ReceivedPayload(0, START, "alertmanager", "prom", webhook(count))
        )

    assert len(normalized(2).alerts) == 2
    assert normalized(3).reason == "invalid alertmanager payload"
