"""`POST /api/v1/rules/reload`: re-read the config file and activate it through the log.

The file is checked as `tocsin rules check` checks it (`check`): what that refuses, reload
refuses with the same `file:line: field` message (422) and appends nothing. An accepted config
is appended as `RulesetActivated` to every partition of `tocsin.notifications` (the
dispatcher's input: pages requested after that point go through its channels and contacts),
then of `tocsin.incidents` (the router's and the read model's: incidents opened after it are
routed by its router sections, and the API takes its users and tokens), then of
`tocsin.alerts` (the correlator's), so each service switches at a fixed point of its own input
and a replay switches at the same one. Each consumer's copies go before those of the service
feeding it: every page to a contact the new config adds is requested by a router that has
switched, after the dispatcher's switch, and every incident the new rules open comes after the
router's. If a later append fails (503), the services downstream have switched and the others
not yet; a retry (the same file) completes the reload.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse

from services.correlator.rulesets import policy_from_text, version_of
from shared.api_errors import error
from shared.config.yaml_source import ConfigError, read_config_text
from shared.events import deterministic_id
from shared.events.incidents import RulesetActivated
from shared.log.port import EventLog, LogUnavailable, Outgoing
from shared.runtime.broadcast import to_every_partition
from shared.runtime.startup_pin import RULESET_KEY
from shared.topics import ALERTS, INCIDENTS, NOTIFICATIONS

log = logging.getLogger(__name__)

# Validates a config file's text as `tocsin rules check` does: raises ConfigError.
ConfigCheck = Callable[[str, str], object]
# Whether an `Authorization` header value may reload rules.
Authorize = Callable[[str | None], bool]
Authorization = Annotated[str | None, Header(description="`Bearer <service account token>`")]


def ruleset_records(
    text: str, source: str, partitions: int, now: datetime, topic: str = ALERTS
) -> list[Outgoing]:
    """`RulesetActivated` for every partition of `topic` (the correlator's, the router's or
    the dispatcher's)."""
    version = version_of(text)
    event = RulesetActivated(version=version, config=text, activated_at=now, source=source)
    scope = "ruleset" if topic == ALERTS else f"ruleset on {topic}"
    return to_every_partition(
        event,
        topic=topic,
        key=RULESET_KEY,
        partitions=partitions,
        occurred_at=now,
        event_id=lambda partition: deterministic_id(scope, version, partition, now.isoformat()),
    )


NO_CONFIG_FILE = (
    "Tocsin runs its built-in demo config, which has no file to re-read: copy"
    " services/cli/demo.yaml, edit it, and start `tocsin up --config FILE`"
)


def reload_routes(
    config_path: Path | None,
    event_log: EventLog,
    clock: Callable[[], datetime],
    *,
    check: ConfigCheck,
    authorized: Authorize | None = None,
    activated: Callable[[object], None] | None = None,
    unsafe: Callable[[object], str | None] | None = None,
    restart_needed: Callable[[object], list[str]] | None = None,
) -> APIRouter:
    """`check`: the validation of `tocsin rules check`; `authorized` (e.g. a service account
    check) guards the endpoint, None leaves it open; `activated` is given what `check`
    returned once a reload is on the log (e.g. to take its service accounts); `unsafe` says
    why a config `check` took must not be activated by a reload all the same (None: it may);
    `restart_needed` names the settings it changes that only a restart applies (the answer
    and a warning say so).
    Without a `config_path` (the built-in demo config) there is no file to re-read: 409."""
    router = APIRouter(tags=["rules"])
    # One reload at a time: two running together could activate one file on the log and take
    # the other's service accounts for the endpoint.
    one_at_a_time = asyncio.Lock()

    @router.post(
        "/api/v1/rules/reload",
        status_code=202,
        summary="Re-read the config file and activate it from this point of the log",
        response_model=None,
        responses={
            202: {
                "description": "activated: `version`, the alerts topic's `partitions`, and"
                " `restart_needed`: settings it changed that apply only after a restart"
                " (integrations, heartbeats' check-ins, ingest limits, `api:` settings)"
            },
            401: {"description": "a service account bearer token is required"},
            409: {"description": "Tocsin runs its built-in demo config: no file to re-read"},
            422: {
                "description": "the config file is unreadable or `tocsin rules check` refuses"
                " it (`message`: its `file:line: field: problem` lines); nothing changed"
            },
            503: {"description": "the log is unavailable; retry after `Retry-After` seconds"},
        },
    )
    async def reload_rules(authorization: Authorization = None) -> JSONResponse:
        if authorized is not None and not authorized(authorization):
            return error(401, "a service account bearer token is required")
        if config_path is None:
            return error(409, NO_CONFIG_FILE)
        async with one_at_a_time:
            return await _reload(config_path)

    async def _reload(config_path: Path) -> JSONResponse:
        try:
            text = await asyncio.to_thread(read_config_text, config_path)
            checked = await asyncio.to_thread(check, text, str(config_path))
        except ConfigError as refused:
            return _refused(str(refused))
        if unsafe is not None and (why := unsafe(checked)) is not None:
            return _refused(f"{config_path}: {why}")
        version = version_of(text)
        problem = policy_from_text(text, version)
        if isinstance(problem, str):  # `check` accepted it: a gap between the two is a bug
            return error(422, f"{config_path}: {problem}")
        later = restart_needed(checked) if restart_needed is not None else []
        answer = await _activate(text, str(config_path), version, later)
        if answer.status_code == 202 and activated is not None:
            activated(checked)
        return answer

    def _refused(why: str) -> JSONResponse:
        # The answer goes to the caller only: the log says what the running config refused.
        log.warning("rule reload refused, the running rule set stays: %s", why)
        return error(422, why)

    async def _activate(text: str, source: str, version: str, later: list[str]) -> JSONResponse:
        now = clock()
        partitions = event_log.partition_count(ALERTS)
        try:
            for topic in (NOTIFICATIONS, INCIDENTS, ALERTS):  # downstream first: see above
                count = event_log.partition_count(topic)
                await event_log.append(ruleset_records(text, source, count, now, topic))
        except LogUnavailable as unavailable:
            return error(503, str(unavailable))
        log.info("rule set activated", extra={"version": version, "partitions": partitions})
        body: dict[str, object] = {"status": "success", "version": version}
        body["partitions"] = partitions
        if later:
            # Activated all the same: the rest of the config applies now, these at a restart.
            body["restart_needed"] = later
            log.warning("reloaded settings apply only after a restart: %s", ", ".join(later))
        return JSONResponse(body, status_code=202)

    return router
