"""`POST /api/v1/rules/reload`: re-read the config file and activate it through the log.

The new rule set is appended as `RulesetActivated` to every partition of `tocsin.alerts`, so
each correlator switches at a fixed point of its input and a replay switches at the same one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException

from services.correlator.processor import RULESET_KEY
from services.correlator.rulesets import policy_from_text, version_of
from shared.config.yaml_source import ConfigError, read_config_text
from shared.events import deterministic_id
from shared.events.incidents import RulesetActivated
from shared.log.port import EventLog, LogUnavailable, Outgoing
from shared.runtime.broadcast import to_every_partition
from shared.topics import ALERTS

log = logging.getLogger(__name__)


def ruleset_records(text: str, source: str, partitions: int, now: datetime) -> list[Outgoing]:
    """`RulesetActivated` for every partition of the alerts topic."""
    version = version_of(text)
    event = RulesetActivated(version=version, config=text, activated_at=now, source=source)
    return to_every_partition(
        event,
        topic=ALERTS,
        key=RULESET_KEY,
        partitions=partitions,
        occurred_at=now,
        event_id=lambda partition: deterministic_id("ruleset", version, partition, now.isoformat()),
    )


def reload_routes(
    config_path: Path,
    event_log: EventLog,
    clock: Callable[[], datetime],
    *,
    dependencies: Sequence[Any] = (),
) -> APIRouter:
    """`dependencies` (e.g. an admin-token check) guard the endpoint."""
    router = APIRouter(tags=["rules"], dependencies=list(dependencies))

    @router.post(
        "/api/v1/rules/reload",
        status_code=202,
        summary="Re-read the config file and activate its rules from this point of the log",
        responses={
            401: {"description": "a service account bearer token is required"},
            422: {"description": "the config file is unreadable or invalid; nothing changed"},
            503: {"description": "the log is unavailable; retry after `Retry-After` seconds"},
        },
    )
    async def reload_rules() -> dict[str, object]:
        try:
            text = await asyncio.to_thread(read_config_text, config_path)
        except ConfigError as unreadable:
            raise HTTPException(422, str(unreadable)) from None
        version = version_of(text)
        problem = policy_from_text(text, version)
        if isinstance(problem, str):
            raise HTTPException(422, f"{config_path}: {problem}")
        partitions = event_log.partition_count(ALERTS)
        try:
            await event_log.append(ruleset_records(text, str(config_path), partitions, clock()))
        except LogUnavailable as unavailable:
            raise HTTPException(503, str(unavailable), headers={"Retry-After": "5"}) from None
        log.info("rule set activated", extra={"version": version, "partitions": partitions})
        return {"status": "success", "version": version, "partitions": partitions}

    return router
