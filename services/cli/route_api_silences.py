"""The silences made through the API, read back from the log for `tocsin route test`.

They are events on every partition of `tocsin.incidents` (see `shared/events/silences.py`), so
partition 0 holds them all; folded as the router folds them, they mute as they would live.
"""

from __future__ import annotations

from pydantic import ValidationError

from services.router.domain.api_silences import fold_silence
from services.router.domain.silences import Silence
from services.router.peek import peek_type
from shared.events import decode_envelope, unwrap
from shared.events.silences import SilenceCreated, SilenceExpired
from shared.log.port import EventLog
from shared.topics import INCIDENTS

_TYPES = frozenset({"SilenceCreated", "SilenceExpired"})


async def api_silences(event_log: EventLog) -> dict[str, Silence]:
    """The API's silences by id, as the router knows them after the last record on the log."""
    silences: dict[str, Silence] = {}
    try:
        event_log.partition_count(INCIDENTS)
    except KeyError:
        return silences  # nothing was ever routed
    offset, end = 0, await event_log.end_offset(INCIDENTS, 0)
    while offset < end:
        batch = await event_log.read(INCIDENTS, 0, offset, end)
        if not batch:
            break
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
    return silences
