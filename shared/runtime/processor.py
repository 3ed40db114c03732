"""What a stateful service plugs into the partitioned runner."""

from __future__ import annotations

import asyncio
import uuid
from abc import ABC, abstractmethod
from collections import OrderedDict
from datetime import datetime

from shared.events import AnyEvent, Envelope, decode_event, unwrap
from shared.log.port import Outgoing, Record
from shared.runtime.code_version import code_fingerprint
from shared.runtime.state_pickle import dump_state, load_state
from shared.runtime.state_shape import shape_fingerprint

# How many recent event ids each partition remembers to drop duplicates. Duplicates come
# from redelivery after a crash or an upstream re-emitting outputs it had already written:
# both within a few batches of the original, far fewer records than this.
SEEN_EVENT_IDS = 20_000
# Records handled between turns given back to the event loop, so that the log client sends
# its fetch and produce requests while a batch is being decided (milliseconds of work).
YIELD_EVERY = 64


class UnreadableRecord(Exception):
    """A record this version cannot decode. It stops its consumer loop, and so the process,
    rather than being skipped: the log is the truth, and a skipped record is an alert lost. So
    the error names where the record is, the first thing an operator needs (often a newer
    version wrote it during an upgrade)."""

    def __init__(self, record: Record, error: ValueError) -> None:
        super().__init__(
            f"cannot decode the record at {record.topic}[{record.partition}] offset"
            f" {record.offset} (key {record.key!r}): {error}"
        )


class PartitionProcessor(ABC):
    """State of one input partition. `replay` rebuilds it silently; `handle` acts.

    Both decode the record (envelope and event, validated in one pass) and drop events
    already seen (by id), so redelivery after a crash, and duplicates an upstream wrote twice,
    change nothing.
    """

    # The dispatcher must see every delivery it recorded, even past the committed offset.
    wants_look_ahead: bool = False

    def __init__(self, partition: int) -> None:
        self.partition = partition
        self._seen: OrderedDict[uuid.UUID, None] = OrderedDict()

    def replay(self, record: Record) -> None:
        envelope = self._first_sighting(record)
        if envelope is not None:
            self.apply(envelope, unwrap(envelope), live=False)

    async def handle(self, record: Record) -> list[Outgoing]:
        envelope = self._first_sighting(record)
        if envelope is None:
            return []
        outgoing = self.apply(envelope, unwrap(envelope), live=True)
        return outgoing + await self.act(envelope)

    async def handle_batch(self, records: list[Record]) -> list[Outgoing]:
        """Handle records of this partition in offset order; outputs are appended together."""
        outgoing: list[Outgoing] = []
        for index, record in enumerate(records):
            if index and index % YIELD_EVERY == 0:
                await asyncio.sleep(0)
            outgoing.extend(await self.handle(record))
        return outgoing

    def first_sighting(self, record: Record) -> Envelope | None:
        """The record's envelope (its event decoded), or None if its id was already seen."""
        return self._first_sighting(record)

    def _first_sighting(self, record: Record) -> Envelope | None:
        try:
            envelope = decode_event(record.value)
        except ValueError as unreadable:  # not JSON, or not an event this version knows
            raise UnreadableRecord(record, unreadable) from unreadable
        event_id = envelope.event_id
        if event_id in self._seen:
            return None
        self._seen[event_id] = None
        if len(self._seen) > SEEN_EVENT_IDS:
            self._seen.popitem(last=False)
        return envelope

    def snapshot(self) -> bytes | None:
        """The state as bytes (with the ids seen), or None if this processor keeps none."""
        state = self.state_to_snapshot()
        if state is None:
            return None
        return dump_state((self._seen, state))

    def restore(self, data: bytes) -> None:
        """Take the state of a snapshot `snapshot` wrote (by the same code)."""
        seen, state = load_state(data)
        self._seen = seen
        self.restore_state(state)

    def state_to_snapshot(self) -> object | None:
        """What a snapshot keeps of this processor's state (picklable), or None for none."""
        return None

    def snapshot_format(self) -> str:
        """Who may read this processor's snapshots: the fingerprint of its state's shape,
        from the classes `state_types` names (see `state_shape`)."""
        roots, kind = self.state_types(), type(self)
        if not roots:
            return code_fingerprint()  # shape unknown: only the same code reads them
        return shape_fingerprint(roots, (kind.state_to_snapshot, kind.restore_state))

    def state_types(self) -> tuple[type, ...]:
        """The classes at the root of what `state_to_snapshot` returns."""
        return ()

    def restore_state(self, state: object) -> None:
        """Take back what `state_to_snapshot` returned."""
        raise NotImplementedError(f"{type(self).__name__} keeps no snapshots")

    def look_ahead(self, record: Record) -> None:
        """See a record past the committed offset at recovery, before it is handled again."""
        return None

    async def drain(self) -> None:
        """Return once the work this processor runs in the background (the dispatcher's
        deliveries) has ended and its outcome is recorded: a clean stop waits for it, a while,
        so that it is neither cut off midway nor done again after the restart."""
        return None

    def abandon(self) -> None:
        """The grace `drain` had ran out (at a stop, or a hand-over to another member): leave
        the background work not begun to the partition's next owner or the restart."""
        return None

    def recovered(self) -> None:
        """The state is rebuilt (`replay`, then `look_ahead`) and records are handled next:
        resume what it says was left unfinished (the dispatcher's pages on their way)."""
        return None

    def at_recovery(self, committed: int) -> list[Outgoing]:
        """Records to append once the state is rebuilt up to `committed` and before the
        partition's next records are handled (the correlator and router pin the config their
        process started with there, so the next input is decided by it, live and in replay)."""
        return []

    @abstractmethod
    def apply(self, envelope: Envelope, event: AnyEvent, *, live: bool) -> list[Outgoing]:
        """Fold the event into state and return the records to append (ignored on replay)."""

    async def act(self, envelope: Envelope) -> list[Outgoing]:
        """Side effects after `apply` on live records only (the dispatcher sends pages here)."""
        return []

    def next_due(self) -> datetime | None:
        """When a timer of this partition is next due; the runner then writes a tick."""
        return None
