"""Creating and expiring silences: write the event to every partition of the router's input,
then wait a moment for the read model to show it (so a list right after includes it).

On Kafka the partitions are written without a transaction, so a failed write may have reached
some of them: a retry with the same `Idempotency-Key` writes the same events (same ids), which
the router and the read model count once, and completes it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from services.router.projection.silences import SilenceView
from services.router.projection.tailer import ProjectionTailer
from shared.events import deterministic_id
from shared.events.silences import SILENCES_KEY, SilenceCreated, SilenceExpired
from shared.log.port import EventLog, LogUnavailable
from shared.runtime.broadcast import to_every_partition
from shared.topics import INCIDENTS


@dataclass(frozen=True)
class NewSilence:
    """A silence the API checked: matchers valid, start clamped to now, end after both."""

    matchers: list[str]
    starts_at: datetime
    ends_at: datetime
    comment: str


class NotWritten(Exception):
    """The log did not confirm the silence in time: perhaps on no partition, perhaps on some (a
    retry with the same Idempotency-Key completes it as one silence)."""


class SilenceIssuer:
    def __init__(
        self,
        event_log: EventLog,
        tailer: ProjectionTailer,
        clock: Callable[[], datetime],
        *,
        append_timeout_s: float,
        wait_s: float,
    ) -> None:
        self._log = event_log
        self.tailer = tailer
        self._clock = clock
        self._append_timeout_s = append_timeout_s
        self._wait_s = wait_s

    def now(self) -> datetime:
        return self._clock()

    async def create(
        self, silence: NewSilence, actor: str, idempotency_key: str | None, request: str = ""
    ) -> tuple[str, SilenceView | None]:
        """The new silence's id, and its view once the read model shows it (None if it is
        not there within the wait: it is on the log all the same). `request`: the body as
        asked for, so that a key reused with another body makes another silence."""
        # The API's choice, carried by the event: replays agree whatever it is.
        silence_id = str(
            deterministic_id("api-silence", actor, idempotency_key, request)
            if idempotency_key
            else uuid.uuid4()
        )
        created = SilenceCreated(
            silence_id=silence_id,
            matchers=silence.matchers,
            starts_at=silence.starts_at,
            ends_at=silence.ends_at,
            created_by=actor,
            comment=silence.comment,
            created_at=self._clock(),
        )
        await self._append_everywhere(created, silence_id, "created", created.created_at)
        return silence_id, await self._shown(silence_id, lambda view: view)

    async def expire(self, silence_id: str, actor: str) -> SilenceView | None:
        at = self._clock()
        expired = SilenceExpired(silence_id=silence_id, actor=actor, at=at)
        await self._append_everywhere(expired, silence_id, "expired", at)
        return await self._shown(silence_id, lambda view: view if view.expired_at else None)

    async def _append_everywhere(
        self, event: SilenceCreated | SilenceExpired, silence_id: str, what: str, at: datetime
    ) -> None:
        records = to_every_partition(
            event,
            topic=INCIDENTS,
            key=SILENCES_KEY,
            partitions=self._log.partition_count(INCIDENTS),
            occurred_at=at,
            event_id=lambda partition: deterministic_id("silence", silence_id, what, partition),
        )
        try:
            await asyncio.wait_for(self._log.append(records), self._append_timeout_s)
        except (LogUnavailable, TimeoutError) as failed:
            raise NotWritten(
                "the event log did not confirm the silence (unavailable or slow); retry later with"
                " the same Idempotency-Key"
            ) from failed

    async def _shown(
        self, silence_id: str, done: Callable[[SilenceView], SilenceView | None]
    ) -> SilenceView | None:
        def found() -> SilenceView | None:
            view = self.tailer.projection.silences.get(silence_id)
            return done(view) if view is not None else None

        return await self.tailer.wait_until(found, self._wait_s)
