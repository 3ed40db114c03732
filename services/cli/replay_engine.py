"""The correlator engine driven offline: one state per correlation domain, ticks fed as due.

The live runner writes a `TickOccurred` into a partition whenever `next_due` has passed; here
a tick is fed at exactly the due time, before the first alert received at or after it, so
resolve timeouts, grace periods and other timers fire offline as they do live. A heap of the
domains' next due times finds the domains to tick; the engine's `next_due` is asked after
every decision, so whatever timers the engine keeps, the replay feeds them.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from services.cli.replay_resend import restamped_alert
from services.correlator.domain.engine import (
    Repeated,
    catch_up,
    next_due,
    step,
    step_alert,
    step_repeat,
)
from services.correlator.domain.rules import CorrelationPolicy
from services.correlator.domain.state import CorrelatorState
from shared.alerts import Alert
from shared.events import TickOccurred
from shared.events.base import Event
from shared.events.inputs import HeartbeatReceived
from shared.topics import domain_key


@dataclass
class _Domain:
    name: str
    state: CorrelatorState = field(default_factory=CorrelatorState)
    due: datetime | None = None  # the engine's next_due after the last step


class ReplayEngine:
    """Feeds alerts (and the ticks they imply) to the pure engine, domain by domain."""

    def __init__(
        self, policy: CorrelationPolicy, domain_labels: Sequence[str], *, ticks: bool = True
    ) -> None:
        self._policy = policy
        self._labels = tuple(domain_labels)
        self._ticks = ticks
        self._domains: dict[str, _Domain] = {}
        self._due: list[tuple[datetime, str]] = []  # heap; entries not equal to .due are stale
        self.ticks_fed = 0
        # What the ticks fed before a notification decided (an incident a released symptom
        # opens, ...): kept until the caller takes them, as no notification's decision.
        self.ticked: list[Event] = []

    @property
    def open_alerts(self) -> int:
        return sum(len(domain.state.alerts) for domain in self._domains.values())

    def receive(self, alert: Alert, now: datetime, key: str | None = None) -> list[Event]:
        """Decide on one alert notification received at `now`, in domain `key` (default: the
        domain of its labels); ticks due by then go first."""
        decided = self._step(alert, now, key, repeats=False)
        assert not isinstance(decided, Repeated)
        return decided

    def take(
        self, alert: Alert, now: datetime, key: str | None = None, *, resent: bool = False
    ) -> list[Event] | Repeated:
        """`receive`, but a repeat of a firing alert, most notifications, comes back as
        `Repeated`: its `AlertGrouped` is never built. `resent`: the alert is as an earlier
        payload gave it, received then; it is restamped at `now` only if the engine needs
        more than a repeat of it."""
        return self._step(alert, now, key, repeats=True, resent=resent)

    def _step(
        self, alert: Alert, now: datetime, key: str | None, *, repeats: bool, resent: bool = False
    ) -> list[Event] | Repeated:
        if self._ticks and self._due and self._due[0][0] <= now:  # seldom: no call otherwise
            self.ticked += self.advance(now)
        name = domain_key(alert.labels, self._labels) if key is None else key
        domain = self._domain(name)
        state = domain.state
        # What the ticks fed left due (armed in the past by the alert before): a tick's too.
        self.ticked += catch_up(state, now, self._policy)
        decided: list[Event] | Repeated | None = None
        if repeats:
            decided = step_repeat(state, alert, now, self._policy)
        if decided is None:
            fresh = restamped_alert(alert, now) if resent else alert
            decided = step_alert(state, fresh, now, self._policy, name)
        self._rearm(domain)
        return decided

    def _domain(self, name: str) -> _Domain:
        domain = self._domains.get(name)
        if domain is None:
            domain = self._domains[name] = _Domain(name)
        return domain

    def _rearm(self, domain: _Domain) -> None:
        """After a step: the domain's next due time, as the engine now has it."""
        if self._ticks:
            due = next_due(domain.state, self._policy)
            if due != domain.due:
                self._set_due(domain, due)

    def check_in(self, heartbeat: str, key: str, now: datetime) -> list[Event]:
        """A check-in of `heartbeat` received at `now`, in domain `key` (ingest keys it by
        the heartbeat's labels); ticks due by then go first, as for alerts."""
        if self._ticks and self._due and self._due[0][0] <= now:
            self.ticked += self.advance(now)
        domain = self._domain(key)
        self.ticked += catch_up(domain.state, now, self._policy)
        event = HeartbeatReceived(name=heartbeat, received_at=now)
        decided = step(domain.state, event, now, self._policy, key)
        self._rearm(domain)
        return decided

    def take_ticked(self) -> list[Event]:
        """The decisions of the ticks fed since the last call (see `ticked`)."""
        ticked, self.ticked = self.ticked, []
        return ticked

    def advance(self, now: datetime) -> list[Event]:
        """Feed every tick due at or before `now`, in due order; return their decisions."""
        decided: list[Event] = []
        while self._due and self._due[0][0] <= now:
            due, name = heapq.heappop(self._due)
            domain = self._domains[name]
            if domain.due == due:
                decided.extend(self._tick(domain, now))
        return decided

    def _tick(self, domain: _Domain, now: datetime) -> list[Event]:
        decided: list[Event] = []
        last: datetime | None = None
        due = next_due(domain.state, self._policy)
        while due is not None and due <= now and (last is None or due > last):
            tick = TickOccurred.model_construct(at=due)
            decided.extend(step(domain.state, tick, due, self._policy, domain.name))
            self.ticks_fed += 1
            last = due
            due = next_due(domain.state, self._policy)
        # A due time a tick did not move would tick forever: leave it until the next step.
        self._set_due(domain, due if due is None or due > now else None)
        return decided

    def _set_due(self, domain: _Domain, due: datetime | None) -> None:
        domain.due = due
        if due is not None:
            heapq.heappush(self._due, (due, domain.name))
