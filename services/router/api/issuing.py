"""Issuing a command: check it against the read model, append it to the log, and wait a
moment for the router's verdict (or the correlator's resolution) to come back through it."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson

from services.router.domain.commands import refusal
from services.router.metrics import ApiMetrics
from services.router.projection.model import IncidentView
from services.router.projection.tailer import ProjectionTailer
from shared.events import (
    AcknowledgeIncident,
    ResolveIncident,
    deterministic_id,
    encode_envelope,
    wrap,
)
from shared.events.base import Event
from shared.events.commands import (
    AddIncidentNote,
    AssignIncidentCommander,
    CommandName,
    ReassignIncident,
    SnoozeIncident,
)
from shared.log.port import EventLog, LogUnavailable, Outgoing
from shared.topics import ALERTS, INCIDENTS

log = logging.getLogger(__name__)

_COMMANDS: dict[CommandName, type[Event]] = {
    "acknowledge": AcknowledgeIncident,
    "resolve": ResolveIncident,
    "snooze": SnoozeIncident,
    "reassign": ReassignIncident,
    "note": AddIncidentNote,
    "commander": AssignIncidentCommander,
}


@dataclass(frozen=True)
class Issued:
    """What became of a command: 200 applied, 202 pending, 404, 409 refused, 503."""

    status: int
    message: str
    command_id: str | None = None
    view: IncidentView | None = None


class CommandIssuer:
    def __init__(
        self,
        event_log: EventLog,
        tailer: ProjectionTailer,
        clock: Callable[[], datetime],
        metrics: ApiMetrics,
        *,
        append_timeout_s: float,
        wait_s: float,
    ) -> None:
        self._log = event_log
        self.tailer = tailer
        self._clock = clock
        self._metrics = metrics
        self._append_timeout_s = append_timeout_s
        self._wait_s = wait_s

    def now(self) -> datetime:
        return self._clock()

    async def find(self, incident_id: str) -> IncidentView | Issued:
        if not self.tailer.ready.is_set():
            return Issued(503, "the read model is being rebuilt from the log; retry shortly")
        view = (await self.tailer.current()).incidents.get(incident_id)
        return view if view is not None else Issued(404, self._unknown(incident_id))

    def _past_history(self, view: IncidentView) -> bool:
        history = self.tailer.history
        resolved_at = view.resolved_at
        return bool(history) and resolved_at is not None and resolved_at < self._clock() - history

    def _unknown(self, incident_id: str) -> str:
        history = self.tailer.history
        if not history:
            return f"no incident {incident_id}"
        return (
            f"no incident {incident_id}: unknown, or resolved longer ago than the incident"
            f" history ({duration_text(history)})"
        )

    async def issue(
        self,
        incident_id: str,
        name: CommandName,
        actor: str,
        fields: dict[str, Any],
        idempotency_key: str | None = None,
    ) -> Issued:
        outcome = await self._issue(incident_id, name, actor, fields, idempotency_key)
        self._metrics.answered(name, outcome.status)
        if outcome.status == 409:
            # Refused here, a command never reaches the log: this line is the only trace of
            # who tried what (one the router refused also has its CommandRejected event).
            facts = {"incident_id": incident_id, "command": name, "actor": actor}
            log.info("incident command refused: %s", outcome.message, extra=facts)
        return outcome

    async def _issue(
        self,
        incident_id: str,
        name: CommandName,
        actor: str,
        fields: dict[str, Any],
        idempotency_key: str | None,
    ) -> Issued:
        view = await self.find(incident_id)
        if isinstance(view, Issued):
            return view
        # A retry (same key, same body) is the same command; the same key with another body
        # is another command, not an answer about the first.
        command_id = str(
            deterministic_id("api", actor, incident_id, name, idempotency_key, *_keyed(fields))
            if idempotency_key
            else uuid.uuid4()
        )
        if command_id not in view.verdicts:  # not a retry of a decided command
            refused = refusal(name, view.status, view.acknowledged_by)
            if refused is not None:
                return Issued(409, _already_resolved(view) or refused, None, view)
            if self._past_history(view):
                # Its own record would drop the incident from the read model before it is
                # folded: accepted, its outcome could never be told.
                return Issued(404, self._unknown(incident_id))
            try:
                await self._append(view, name, command_id, actor, fields)
            except (LogUnavailable, TimeoutError):
                return Issued(503, "the event log did not take the command; retry later")
        return await self._outcome(view, name, command_id)

    async def _append(
        self, view: IncidentView, name: CommandName, command_id: str, actor: str, fields: Any
    ) -> None:
        now = self._clock()
        command = _COMMANDS[name].model_validate(
            {
                "command_id": command_id,
                "incident_id": view.incident_id,
                "actor": actor,
                "issued_at": now,
                **fields,
            }
        )
        event_id = deterministic_id("command", command_id)
        envelope = wrap(command, key=view.domain, event_id=event_id, occurred_at=now)
        topic = ALERTS if name == "resolve" else INCIDENTS  # the correlator resolves
        record = Outgoing(topic, view.domain, encode_envelope(envelope))
        await asyncio.wait_for(self._log.append([record]), self._append_timeout_s)

    async def _outcome(self, view: IncidentView, name: CommandName, command_id: str) -> Issued:
        # Each command waits for its own verdict: of resolves sent together (or a resolve
        # as the grace ends), the one the incident names applied; the others come too late.
        verdict = await self.tailer.wait_until(lambda: view.verdicts.get(command_id), self._wait_s)
        if verdict is None:
            return Issued(202, "accepted; the router has not decided yet", command_id, view)
        if not verdict.applied:
            lost_race = _already_resolved(view) if name == "resolve" else None
            return Issued(409, lost_race or verdict.reason, command_id, view)
        return Issued(200, "applied", command_id, view)


def _already_resolved(view: IncidentView) -> str | None:
    """Why no command but a note applies to a resolved incident, naming who resolved it."""
    if view.status != "resolved":
        return None
    by = f" by {view.resolved_by}" if view.resolved_by else " (its alerts resolved)"
    return f"the incident is already resolved{by}"


def _keyed(fields: dict[str, Any]) -> tuple[str, ...]:
    """What a command's fields add to its idempotent id: nothing for none (the ids of
    commands without fields stay as they were), else their JSON with keys sorted."""
    return (orjson.dumps(fields, option=orjson.OPT_SORT_KEYS).decode(),) if fields else ()


def duration_text(duration: timedelta) -> str:
    """`timedelta(days=90)` → `90d`, `timedelta(minutes=90)` → `90m`: as the setting is
    written, in the largest unit it is a whole number of."""
    millis = duration // timedelta(milliseconds=1)
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000)):
        if millis % size == 0:
            return f"{millis // size}{unit}"
    return f"{millis}ms"
