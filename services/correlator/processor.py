"""The correlator's partition processor: decode, run the pure engine, encode decisions."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import cast

from services.correlator.domain.commands import on_superseded_ruleset
from services.correlator.domain.engine import catch_up, next_due, step
from services.correlator.domain.rules import CorrelationPolicy
from services.correlator.domain.state import CorrelatorState
from services.correlator.metrics import CorrelatorMetrics
from services.correlator.rulesets import RulesetBook
from shared.events import AnyEvent, Envelope, deterministic_id, encode_envelope, wrap
from shared.events.incidents import RulesetActivated, superseded
from shared.events.inputs import TICK_KEY, AlertReceived
from shared.log.port import Outgoing, Record
from shared.runtime.config_rejections import Refusals
from shared.runtime.processor import PartitionProcessor
from shared.runtime.startup_pin import RULESET_KEY, StartupPin
from shared.topics import ALERTS, INCIDENTS

# Keys of inputs that are no alert of a correlation domain (see `_keys`).
_NOT_A_DOMAIN = frozenset({TICK_KEY, RULESET_KEY})

log = logging.getLogger(__name__)


class CorrelatorProcessor(PartitionProcessor):
    def __init__(
        self,
        partition: int,
        policy: CorrelationPolicy,
        metrics: CorrelatorMetrics,
        rulesets: RulesetBook | None = None,
        startup: RulesetActivated | None = None,
    ) -> None:
        super().__init__(partition)
        self.state = CorrelatorState()
        self.policy = policy
        self._metrics = metrics
        self._rulesets = rulesets or RulesetBook()
        self._refusals = Refusals(metrics.config_rejected)
        # The rule set this process was started with, written to the partition when the log
        # does not already run it, so a replay switches where the live run did.
        self._pin = StartupPin(startup, ALERTS, partition)
        # The uncommitted tail is read at recovery only when there is a config to pin.
        self.wants_look_ahead = startup is not None
        self._activated_at: datetime | None = None  # of the last rule set read from the log
        self._active: RulesetActivated | None = None  # the last one taken, if any
        # The time of the last input handled live: the input age gauge reads it at scrape time.
        self.last_input_at: datetime | None = None

    def apply(self, envelope: Envelope, event: AnyEvent, *, live: bool) -> list[Outgoing]:
        started, now = time.perf_counter(), envelope.occurred_at
        # Timers due by the input's time first, under the rules they came due under (a rule
        # set activated now applies from now on), keyed by their incidents as a tick's are.
        caught = catch_up(self.state, now, self.policy)
        if isinstance(event, RulesetActivated) and superseded(
            event.activated_at, self._activated_at
        ):
            decided = on_superseded_ruleset(event, now, self.policy)
        else:
            if isinstance(event, RulesetActivated):
                self._activate(event, live=live)
                self._activated_at = event.activated_at
            decided = step(self.state, event, now, self.policy, envelope.key)
        if live:
            self._metrics.observe(caught + decided, time.perf_counter() - started)
            if type(event) is AlertReceived:
                self._metrics.observe_alert(event.alert.fingerprint, decided)
            self.last_input_at = now
        keys = self._keys(decided, envelope.key) if envelope.key in _NOT_A_DOMAIN else None
        if caught:
            keys = self._keys(caught, envelope.key) + (keys or [envelope.key] * len(decided))
            decided = caught + decided
        outgoing: list[Outgoing] = []
        for index, decision in enumerate(decided):
            event_id = deterministic_id(envelope.event_id, index)
            occurred_at = self.state.clock or now
            key = envelope.key if keys is None else keys[index]
            out = wrap(decision, key=key, event_id=event_id, occurred_at=occurred_at)
            outgoing.append(Outgoing(INCIDENTS, key, encode_envelope(out)))
        return outgoing

    def _keys(self, decided: list[AnyEvent], input_key: str) -> list[str]:
        """The record key of each decision of an input that names no correlation domain (a
        tick, a rule set): its incident's domain, so it lands on the partition where the
        router, the dispatcher's outcomes and the API's commands for that incident are. One
        that names no incident (a missed heartbeat) goes with the batch's first domain."""
        domains = [self._domain_of(decision) for decision in decided]
        first = next((domain for domain in domains if domain), input_key)
        return [domain or first for domain in domains]

    def _domain_of(self, decision: AnyEvent) -> str | None:
        domain = getattr(decision, "domain", None)
        if domain:
            return str(domain)
        incident = self.state.incidents.get(str(getattr(decision, "incident_id", "")))
        return incident.domain if incident is not None else None

    def look_ahead(self, record: Record) -> None:
        self._pin.look_ahead(record)

    def at_recovery(self, committed: int) -> list[Outgoing]:
        """The config file this process started with, pinned unless the log runs it (see
        `StartupPin`), so the first alert after a restart with an edited file is decided by it."""
        pins = self._pin.records(self.state.ruleset_version, self._activated_at, committed)
        self._refusals.recovered(pinning=bool(pins))
        return pins

    def _activate(self, event: RulesetActivated, *, live: bool) -> None:
        """Switch rule sets here, at this point of the log, so a replay switches alike."""
        built = self._rulesets.policy_for(event)
        if isinstance(built, str):
            log.error(
                "rule set rejected",
                extra={"version": event.version, "partition": self.partition, "problem": built},
            )
            self._refusals.refused(live=live)
            return
        self._refusals.taken()
        self.policy = built
        self._active = event

    def state_types(self) -> tuple[type, ...]:
        return (CorrelatorState, RulesetActivated)

    def state_to_snapshot(self) -> object:
        return (self.state, self._active, self._activated_at)

    def restore_state(self, state: object) -> None:
        kept = cast(tuple[CorrelatorState, RulesetActivated | None, datetime | None], state)
        self.state, active, self._activated_at = kept
        if active is not None:
            self._activate(active, live=False)

    def next_due(self) -> datetime | None:
        return next_due(self.state, self.policy)
