"""The router's partition processor: run the escalation engine over incident events.

`RulesetActivated` on its input switches the routing directory at that point of the log
(a reload, or the config the process started with, pinned when the partition is rebuilt and
its log runs another), so a replay, or a restart from a snapshot, routes with the same config.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import cast

from services.router.domain.engine import next_due, step
from services.router.domain.policy import RoutingDirectory
from services.router.domain.state import RouterState
from services.router.metrics import Milestones, RouterMetrics
from services.router.rulesets import DirectoryBook
from shared.events import (
    AnyEvent,
    Envelope,
    NotificationRequested,
    deterministic_id,
    encode_envelope,
    wrap,
)
from shared.events.incidents import AlertGrouped, IncidentOpened, RulesetActivated, superseded
from shared.log.port import Outgoing, Record
from shared.runtime.config_rejections import Refusals
from shared.runtime.processor import PartitionProcessor
from shared.runtime.startup_pin import StartupPin
from shared.topics import INCIDENTS, NOTIFICATIONS

log = logging.getLogger(__name__)


class RouterProcessor(PartitionProcessor):
    def __init__(
        self,
        partition: int,
        directory: RoutingDirectory,
        metrics: RouterMetrics,
        directories: DirectoryBook | None = None,
        startup: RulesetActivated | None = None,
    ) -> None:
        super().__init__(partition)
        self.state = RouterState()
        self._directory = directory
        self._metrics = metrics
        self._directories = directories or DirectoryBook()
        self._refusals = Refusals(metrics.router_config_rejected)
        # The config this process was started with, written to the partition when the log
        # runs another, so a replay switches where the live run did.
        self._pin = StartupPin(startup, INCIDENTS, partition)
        # The uncommitted tail is read at recovery only when there is a config to pin.
        self.wants_look_ahead = startup is not None
        self._active: RulesetActivated | None = None  # the last one taken from the log
        # The one before it: a reload reaches the router before the incidents the correlator
        # opened under the old routes (its topic first), and those name the old receivers.
        self._previous: RulesetActivated | None = None
        self._activated_at: datetime | None = None  # of the last one read from the log

    @property
    def directory(self) -> RoutingDirectory:
        """The routing directory new decisions use."""
        return self._directory

    def apply(self, envelope: Envelope, event: AnyEvent, *, live: bool) -> list[Outgoing]:
        if isinstance(event, RulesetActivated) and not superseded(
            event.activated_at, self._activated_at
        ):
            self._activate(event, live=live)
            self._activated_at = event.activated_at
        before = self._milestones(event) if live else None
        decided = step(self.state, event, envelope.occurred_at, self._directory_of(event))
        if live:
            self._metrics.observe(decided)
            self._metrics.observe_timings(before, event, decided, self._milestones(event))
        outgoing: list[Outgoing] = []
        for index, decision in enumerate(decided):
            incident_id = str(getattr(decision, "incident_id", envelope.key))
            if isinstance(decision, NotificationRequested):
                event_id = deterministic_id("notification", decision.notification_id)
            else:
                event_id = deterministic_id(envelope.event_id, index)
            at = self.state.clock or envelope.occurred_at
            out = wrap(decision, key=incident_id, event_id=event_id, occurred_at=at)
            outgoing.append(Outgoing(NOTIFICATIONS, incident_id, encode_envelope(out)))
        return outgoing

    def look_ahead(self, record: Record) -> None:
        self._pin.look_ahead(record)

    def at_recovery(self, committed: int) -> list[Outgoing]:
        """The config file this process started with, pinned unless the log runs it (see
        `StartupPin`), so the next incident is routed by it."""
        running = self._active.version if self._active is not None else None
        pins = self._pin.records(running, self._activated_at, committed)
        self._refusals.recovered(pinning=bool(pins))
        return pins

    def _activate(self, event: RulesetActivated, *, live: bool) -> None:
        """Route with this config from here on; open escalations keep their policies."""
        built = self._directories.directory_for(event)
        if isinstance(built, str):
            extra = {"version": event.version, "partition": self.partition, "problem": built}
            log.error("router config rejected", extra=extra)
            self._refusals.refused(live=live)
            return
        self._refusals.taken()
        if self._active is not None and self._active.version != event.version:
            self._previous = self._active
        self._directory = built
        self._active = event

    def _directory_of(self, event: AnyEvent) -> RoutingDirectory:
        """The config an incident opened (or an alert joined) under routes it: the previous
        one for decisions the correlator made before it switched too, the one in force else."""
        previous = self._previous
        if (
            previous is not None
            and isinstance(event, IncidentOpened | AlertGrouped)
            and event.ruleset_version == previous.version  # never the active one's (`_activate`)
        ):
            built = self._directories.directory_for(previous)
            if not isinstance(built, str):
                return built
        return self._directory

    def state_types(self) -> tuple[type, ...]:
        return (RouterState, RulesetActivated)

    def state_to_snapshot(self) -> object:
        return (self.state, self._active, self._activated_at, self._previous)

    def restore_state(self, state: object) -> None:
        kept = cast(tuple[object, ...], state)
        self.state = cast(RouterState, kept[0])
        active = cast(RulesetActivated | None, kept[1])
        self._activated_at = cast(datetime | None, kept[2])
        # Snapshots of earlier versions hold no previous config.
        self._previous = cast(RulesetActivated | None, kept[3]) if len(kept) > 3 else None
        if active is not None:
            self._activate(active, live=False)

    def _milestones(self, event: AnyEvent) -> Milestones | None:
        escalation = self.state.escalations.get(str(getattr(event, "incident_id", "")))
        return Milestones.of(escalation) if escalation is not None else None

    def next_due(self) -> datetime | None:
        return next_due(self.state)
