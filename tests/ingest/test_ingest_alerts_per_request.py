"""How many alerts one request may carry, and how much one alert may say: Alertmanager retries
no 4xx, so a group over a limit is lost. The defaults take large groups and verbose alerts;
`max_alerts_per_request` and `alert_limits` set them, for ingest and for replay alike."""

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
SMALL_ALERTS = "alert_limits: {labels: 4, annotation_value_length: 20}\n"


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
    config = CONFIG + "max_alerts_per_request: 2\n" + SMALL_ALERTS
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


def test_an_alert_as_verbose_as_kubernetes_alerts_get_is_accepted_by_default(
    large: Ingest,
) -> None:
    body = webhook(1)
    alert = body["alerts"][0]
    alert["labels"] |= {f"label_{index}": "v" * 4000 for index in range(100)}
    alert["annotations"] = {"description": "d" * 60_000}
    answer = large.post("/api/v1/alerts/alertmanager", body, headers=AM)
    assert answer.status_code == 202, answer.text


def test_the_configured_alert_limits_refuse_naming_the_field(small: Ingest) -> None:
    body = webhook(1)
    body["alerts"][0]["annotations"] = {"description": "d" * 21}
    body["alerts"][0]["labels"] |= {"job": "node", "env": "prod"}  # five labels
    refused = small.post("/api/v1/alerts/alertmanager", body, headers=AM)
    assert refused.status_code == 422
    problems = {e["field"]: e["message"] for e in refused.json()["errors"]}
    assert "at most 4 labels" in problems["alerts[0].labels"]
    assert "at most 20 characters" in problems["alerts[0].annotations.description"]


def test_replay_holds_bodies_to_the_configured_limit(tmp_path: Path) -> None:
    path = tmp_path / "tocsin.yaml"
    path.write_text(CONFIG + "max_alerts_per_request: 2\n" + SMALL_ALERTS, encoding="utf-8")
    normalizer = PayloadNormalizer(load_tocsin_config(path).ingest)

    def normalized(count: int) -> Any:
        return normalizer.normalize(
            ReceivedPayload(0, START, "alertmanager", "prom", webhook(count))
        )

    assert len(normalized(2).alerts) == 2
    assert normalized(3).reason == "invalid alertmanager payload"
    verbose = webhook(1)
    verbose["alerts"][0]["annotations"] = {"description": "d" * 21}
    assert (
        normalizer.normalize(ReceivedPayload(0, START, "alertmanager", "prom", verbose)).reason
        == "invalid alertmanager payload"
    )
