"""`POST /api/v1/rules/reload` refuses exactly what `tocsin rules check` refuses, with its
message, in the API's error shape, and then appends nothing; what it accepts reaches the
correlator's, the router's and the dispatcher's inputs, the dispatcher's first."""

from __future__ import annotations

import argparse
import asyncio
import functools
import threading
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.cli.admin_auth import ServiceAccounts
from services.cli.commands_rules import check_rules
from services.cli.config_bundle import check_config_text
from services.cli.reload_restart import restart_needed
from services.correlator.reload import reload_routes
from services.router.api.config import ApiConfig
from shared.events import decode_envelope, unwrap
from shared.events.incidents import RulesetActivated
from shared.log.embedded import EmbeddedLog
from shared.log.port import Outgoing
from shared.topics import ALERTS, INCIDENTS, NOTIFICATIONS
from tests.unit.correlator.correlator_world import at

VALID = """\
users:
  - {name: alice, contacts: [{type: console}]}
escalation_policies:
  - name: oncall
    steps: [{delay: 0s, notify: ["user:alice"]}]
route:
  receiver: oncall
  group_by: [alertname]
"""
UNDEFINED_RECEIVER = VALID.replace("receiver: oncall", "receiver: nowhere")
DUPLICATE_ROUTE = VALID + "route:\n  receiver: oncall\n"
API = ApiConfig.model_validate(
    {"service_accounts": [{"name": "ops", "token": "ops-token-0123456789"}]}
)
OPS = {"Authorization": "Bearer ops-token-0123456789"}
CI = {"Authorization": "Bearer ci-token-0123456789"}
WITH_CI_ACCOUNT = VALID + 'api:\n  service_accounts: [{name: ci, token: "ci-token-0123456789"}]\n'
KEEPS_OPS = VALID + 'api:\n  service_accounts: [{name: ops, token: "ops-token-0123456789"}]\n'
NOTHING = {ALERTS: [0, 0], INCIDENTS: [0, 0], NOTIFICATIONS: [0, 0]}


class Reloading:
    def __init__(self, config: Path, log: EmbeddedLog, client: httpx.AsyncClient) -> None:
        self.config, self.log, self.client = config, log, client

    async def reload(self, text: str, headers: dict[str, str] = OPS) -> httpx.Response:
        self.config.write_text(text, encoding="utf-8")
        return await self.client.post("/api/v1/rules/reload", headers=headers)

    async def appended(self) -> dict[str, list[int]]:
        """Records on each partition of the alerts, incidents and notifications topics."""
        return {
            topic: [len(await self.log.read(topic, p, 0, 10)) for p in range(2)]
            for topic in (ALERTS, INCIDENTS, NOTIFICATIONS)
        }


@pytest.fixture
async def reloading(tmp_path: Path) -> AsyncIterator[Reloading]:
    config = tmp_path / "tocsin.yaml"
    log = EmbeddedLog(tmp_path / "log.db")
    await log.start()
    await log.ensure_topics({ALERTS: 2, INCIDENTS: 2, NOTIFICATIONS: 2})
    app = FastAPI()
    accounts = ServiceAccounts(API)

    app.include_router(
        reload_routes(
            config,
            log,
            lambda: at(0),
            check=check_config_text,
            authorized=accounts.authorized,
            activated=accounts.take_reloaded,
            unsafe=accounts.locked_out_by,
            restart_needed=functools.partial(restart_needed, check_config_text(KEEPS_OPS, "t")),
        )
    )
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield Reloading(config, log, client)
    finally:
        await log.close()


def rules_check_says(config: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert check_rules(argparse.Namespace(config=config)) == 1
    return capsys.readouterr().err.strip()


async def test_reload_refuses_an_undefined_receiver_as_rules_check_does_and_appends_nothing(
    reloading: Reloading, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = await reloading.reload(UNDEFINED_RECEIVER)

    assert answer.status_code == 422
    message = f"{reloading.config}:7: route.receiver: undefined receiver 'nowhere' used in route"
    assert answer.json() == {"status": "error", "message": message}
    assert rules_check_says(reloading.config, capsys) == message
    assert await reloading.appended() == NOTHING


async def test_reload_refuses_a_key_written_twice_as_rules_check_does(
    reloading: Reloading, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = await reloading.reload(DUPLICATE_ROUTE)

    assert answer.status_code == 422
    message = f"{reloading.config}:9: route: duplicate key (first at line 6); write each key once"
    assert answer.json() == {"status": "error", "message": message}
    assert rules_check_says(reloading.config, capsys) == message
    assert await reloading.appended() == NOTHING


async def test_reload_of_a_valid_config_reaches_every_partition_of_each_input(
    reloading: Reloading,
) -> None:
    answer = await reloading.reload(KEEPS_OPS)

    assert answer.status_code == 202
    assert await reloading.appended() == {ALERTS: [1, 1], INCIDENTS: [1, 1], NOTIFICATIONS: [1, 1]}
    for topic in (INCIDENTS, NOTIFICATIONS):
        [record] = await reloading.log.read(topic, 1, 0, 10)
        activated = unwrap(decode_envelope(record.value))
        assert isinstance(activated, RulesetActivated) and activated.config == KEEPS_OPS


async def test_reload_reaches_the_dispatcher_before_the_router_and_the_router_before_the_correlator(
    reloading: Reloading,
) -> None:
    # Given a log that notes the topics of each append, in order
    written: list[str] = []
    append = reloading.log.append

    async def noting(records: Sequence[Outgoing]) -> None:
        written.extend(sorted({record.topic for record in records}))
        await append(records)

    reloading.log.append = noting  # type: ignore[method-assign]

    answer = await reloading.reload(KEEPS_OPS)

    assert answer.status_code == 202
    assert written == [NOTIFICATIONS, INCIDENTS, ALERTS]


async def test_reload_without_a_service_account_token_is_refused_in_the_api_shape(
    reloading: Reloading,
) -> None:
    answer = await reloading.reload(VALID, headers={"Authorization": "Bearer wrong"})

    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert answer.json() == {
        "status": "error",
        "message": "a service account bearer token is required",
    }
    assert await reloading.appended() == NOTHING


async def test_a_reload_hands_the_endpoint_to_the_service_accounts_of_its_config(
    reloading: Reloading,
) -> None:
    assert (await reloading.reload(WITH_CI_ACCOUNT, headers=CI)).status_code == 401

    assert (await reloading.reload(WITH_CI_ACCOUNT)).status_code == 202  # by ops

    assert (await reloading.reload(WITH_CI_ACCOUNT, headers=OPS)).status_code == 401
    assert (await reloading.reload(WITH_CI_ACCOUNT, headers=CI)).status_code == 202


@pytest.mark.parametrize("text", [VALID, "", "# tocsin.yaml, saved half-way\n"])
async def test_a_reload_that_would_leave_nobody_able_to_reload_is_refused(
    reloading: Reloading, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    answer = await reloading.reload(text)

    assert answer.status_code == 422
    assert answer.json()["message"] == (
        f"{reloading.config}: it names no api.service_accounts, so once active nobody could"
        " reload the rules again without a restart (a file saved half-way?); nothing changed"
    )
    assert await reloading.appended() == NOTHING
    assert (await reloading.reload(KEEPS_OPS)).status_code == 202  # ops may still reload
    assert "rule reload refused, the running rule set stays" in caplog.text


async def test_a_reload_says_which_settings_it_changed_apply_only_after_a_restart(
    reloading: Reloading, caplog: pytest.LogCaptureFixture
) -> None:
    integration = "integrations:\n  - {name: prom, type: alertmanager, token: am-token-00001}\n"
    lifetime = KEEPS_OPS.replace("api:\n", "api:\n  link_lifetime: 2h\n")

    same = await reloading.reload(KEEPS_OPS)
    changed = await reloading.reload(lifetime + integration)

    assert same.status_code == changed.status_code == 202
    assert "restart_needed" not in same.json()
    assert changed.json()["restart_needed"] == ["integrations", "api.link_lifetime"]
    assert "reloaded settings apply only after a restart: integrations, api.link_lifetime" in (
        caplog.text
    )


async def test_reloads_sent_together_run_one_after_the_other(tmp_path: Path) -> None:
    # The first reload's check is slow; a second sent meanwhile must not read, check and
    # activate in between, or the endpoint could keep the accounts of the file not on the log.
    config = tmp_path / "tocsin.yaml"
    config.write_text(KEEPS_OPS, encoding="utf-8")
    log = EmbeddedLog(tmp_path / "log.db")
    await log.start()
    await log.ensure_topics({ALERTS: 1, INCIDENTS: 1, NOTIFICATIONS: 1})
    steps: list[str] = []
    first_checked = threading.Event()

    def slow_check(text: str, source: str) -> object:
        steps.append("check")
        if not first_checked.is_set():
            first_checked.set()
            time.sleep(0.5)
        return check_config_text(text, source)

    app = FastAPI()
    app.include_router(
        reload_routes(
            config,
            log,
            lambda: at(0),
            check=slow_check,
            activated=lambda checked: steps.append("activated"),
        )
    )
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            answers = await asyncio.gather(
                client.post("/api/v1/rules/reload"), client.post("/api/v1/rules/reload")
            )
    finally:
        await log.close()

    assert [a.status_code for a in answers] == [202, 202]
    assert steps == ["check", "activated", "check", "activated"]
