"""The silences made through the API, read back from the log for `tocsin route test`.

They are events on every partition of `tocsin.incidents` (see `shared/events/silences.py`), so
partition 0 holds them all; folded as the router folds them, they mute as they would live.
Retention removes records once every reader's snapshot covers them, so the router's newest
snapshot of partition 0 is where the folding starts, when there is one this code can read.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from services.router.config import RouterConfig
from services.router.domain.api_silences import fold_silence
from services.router.domain.silences import Silence
from services.router.metrics import RouterMetrics
from services.router.peek import peek_type
from services.router.processor import RouterProcessor
from services.router.rulesets import directory_of
from services.router.service import ROUTER_GROUP
from shared.events import decode_envelope, unwrap
from shared.events.silences import SilenceCreated, SilenceExpired
from shared.log.port import EventLog
from shared.runtime.snapshot_keeper import SnapshotKeeper
from shared.runtime.snapshots import SNAPSHOT_EVERY
from shared.topics import INCIDENTS

_TYPES = frozenset({"SilenceCreated", "SilenceExpired"})


@dataclass(frozen=True)
class ApiSilences:
    """The API's silences by id, as the router knows them after the last record on the log;
    `incomplete` when retention removed records no readable snapshot covers (silences made
    before them may be missing)."""

    silences: dict[str, Silence]
    incomplete: bool


async def api_silences(event_log: EventLog, config: RouterConfig) -> ApiSilences:
    try:
        event_log.partition_count(INCIDENTS)
    except KeyError:
        return ApiSilences({}, incomplete=False)  # nothing was ever routed
    end = await event_log.end_offset(INCIDENTS, 0)
    silences, offset = await _from_router_snapshot(event_log, config, end)
    incomplete = False
    while offset < end:
        batch = await event_log.read(INCIDENTS, 0, offset, end)
        if not batch:
            break
        incomplete = incomplete or batch[0].offset > offset  # retention took what came first
        for record in batch:
            peeked = peek_type(record.value)
            if peeked is not None and peeked not in _TYPES:
                continue
            try:
                event = unwrap(decode_envelope(record.value))
            except ValidationError:
                continue  # not ours to judge here: the router logs what it cannot read
            if isinstance(event, SilenceCreated | SilenceExpired):
                fold_silence(silences, event)
        offset = batch[-1].offset + 1
    return ApiSilences(silences, incomplete)


async def _from_router_snapshot(
    event_log: EventLog, config: RouterConfig, end: int
) -> tuple[dict[str, Silence], int]:
    """The silences of the router's newest snapshot of partition 0 and the offset it covers
    up to; none and 0 without one this code can read."""
    directory, metrics = directory_of(config), RouterMetrics(CollectorRegistry())
    keeper = SnapshotKeeper(event_log, INCIDENTS, ROUTER_GROUP, SNAPSHOT_EVERY)
    restored, start = await keeper.restored(
        lambda partition: RouterProcessor(partition, directory, metrics), 0, end
    )
    assert isinstance(restored, RouterProcessor)
    return dict(restored.state.silences), start
