"""The correlator's partition processor: decode, run the pure engine, encode decisions."""

from __future__ import annotations

from datetime import datetime

from services.correlator.domain.engine import next_due, step
from services.correlator.domain.rules import CorrelationPolicy
from services.correlator.domain.state import CorrelatorState
from services.correlator.metrics import CorrelatorMetrics
from shared.events import AnyEvent, Envelope, deterministic_id, encode_envelope, wrap
from shared.log.port import Outgoing
from shared.runtime.processor import PartitionProcessor
from shared.topics import INCIDENTS


class CorrelatorProcessor(PartitionProcessor):
    def __init__(
        self, partition: int, policy: CorrelationPolicy, metrics: CorrelatorMetrics
    ) -> None:
        super().__init__(partition)
        self.state = CorrelatorState()
        self._policy = policy
        self._metrics = metrics

    def apply(self, envelope: Envelope, event: AnyEvent, *, live: bool) -> list[Outgoing]:
        decided = step(self.state, event, envelope.occurred_at, self._policy, envelope.key)
        if live:
            self._metrics.observe(decided)
        outgoing: list[Outgoing] = []
        for index, decision in enumerate(decided):
            event_id = deterministic_id(envelope.event_id, index)
            occurred_at = self.state.clock or envelope.occurred_at
            out = wrap(decision, key=envelope.key, event_id=event_id, occurred_at=occurred_at)
            outgoing.append(Outgoing(INCIDENTS, envelope.key, encode_envelope(out)))
        return outgoing

    def next_due(self) -> datetime | None:
        return next_due(self.state, self._policy)
