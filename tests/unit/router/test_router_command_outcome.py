"""A command's answer is its own verdict: a resolve that lost a race with another is refused,
even though the incident it names is resolved by the time it looks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry

from services.router.api.issuing import CommandIssuer
from services.router.metrics import ApiMetrics
from services.router.projection.model import IncidentView, Verdict
from shared.events import ResolveIncident, decode_envelope, unwrap
from shared.log.port import Outgoing

T = TypeVar("T")
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


class RacedLog:
    """A log on which bob's resolve lands just before each command appended here; the
    command's own outcome (the correlator's InputDropped) follows it."""

    def __init__(self, view: IncidentView, tailer: FoldingTailer) -> None:
        self.view, self.tailer = view, tailer

    async def append(self, records: list[Outgoing]) -> None:
        self.view.status, self.view.resolved_at, self.view.resolved_by = "resolved", NOW, "bob"
        self.view.verdicts["bobs-resolve"] = Verdict(True, "", NOW)
        command = unwrap(decode_envelope(records[0].value))
        assert isinstance(command, ResolveIncident)
        command_id = command.command_id
        dropped = Verdict(False, f"resolve by alice: {self.view.incident_id} is not open", NOW)
        self.tailer.later.append(lambda: self.view.verdicts.setdefault(command_id, dropped))


class FoldingTailer:
    """The read model's tailer: what the log holds is folded when a caller waits for it."""

    def __init__(self, view: IncidentView) -> None:
        self.ready = asyncio.Event()
        self.ready.set()
        self.history = None
        self.model = SimpleNamespace(incidents={view.incident_id: view})
        self.later: list[Callable[[], Any]] = []

    async def current(self) -> Any:
        return self.model

    async def wait_until(self, found: Callable[[], T | None], timeout_s: float) -> T | None:
        result = found()
        while result is None and self.later:
            self.later.pop(0)()
            result = found()
        return result


def test_a_resolve_that_lost_the_race_is_refused_naming_who_resolved() -> None:
    view = IncidentView("INC-1", "d", "t", "P2", NOW, "{}:{}", "route", ["team"])
    tailer = FoldingTailer(view)
    issuer = CommandIssuer(
        RacedLog(view, tailer),  # type: ignore[arg-type]
        tailer,  # type: ignore[arg-type]
        lambda: NOW,
        ApiMetrics(CollectorRegistry()),
        append_timeout_s=1,
        wait_s=1,
    )

    issued = asyncio.run(issuer.issue("INC-1", "resolve", "alice", {}))

    assert (issued.status, issued.message) == (409, "the incident is already resolved by bob")
