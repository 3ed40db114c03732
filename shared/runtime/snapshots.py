"""Snapshots of a partition's state on the log, so recovery folds only the input after them.

A snapshot of input partition p lives in partition p of the group's state topic
(`tocsin.<group>.state`): its bytes compressed and cut into chunk records (a record stays
well under a Kafka broker's default 1 MB limit), then a manifest record naming the input
offset it covers, the chunk count, their digest and the format of the state (the fingerprint
of its shape, see `state_shape`). All are appended
together; recovery reads the newest manifest and the chunks before it. A snapshot that is
incomplete, damaged, of another state format or ahead of the committed offset is not used:
the state is then rebuilt from the input, as if there were none.

A read model folds every partition of several topics, outside any group: its manifest names
`positions` instead of an input offset, `{"<topic>": {"<partition>": next offset}}`, for each
partition the first offset its state has not folded. Retention reads them (it keeps every
record at or after them), so they never claim more than the state folded.

Snapshots are an optimization of recovery, never the truth: the input log is. They are
written only after the offsets they cover are committed.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import orjson

from shared.log.port import EventLog, Outgoing, Record

log = logging.getLogger(__name__)

# Input records a partition folds between two snapshots, at least (see `snapshot_keeper`).
SNAPSHOT_EVERY = 10_000
CHUNK_BYTES = 512 * 1024
FORMAT = 1
MANIFEST, CHUNK = "manifest", "chunk"
# Records looked back past the end for a manifest: a write cut short leaves its chunks after
# the last complete snapshot.
_SCAN_BACK = 256
# Writers whose chunks a reader looks past: a snapshot's chunks are found among this many
# times as many records before its manifest.
_INTERLEAVED = 8


def state_topic(group: str) -> str:
    """The state topic of a consumer group: `tocsin-router` keeps `tocsin.router.state`."""
    return f"tocsin.{group.removeprefix('tocsin-')}.state"


# Per topic, per partition: the first offset a read model's state has not folded.
Positions = dict[str, dict[int, int]]


class UnreadableManifest(ValueError):
    """A manifest whose fields are not what `write` writes."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    input_offset: int | None  # the first input offset the state has not folded (processors)
    data: bytes  # the state, uncompressed
    positions: Positions | None = None  # what a read model's state folded (see `Positions`)


class SnapshotStore:
    """Writes and finds the snapshots of one consumer group's partitions (or of a read
    model, named like a group: `tocsin-readmodel` keeps `tocsin.readmodel.state`)."""

    def __init__(self, event_log: EventLog, group: str) -> None:
        self._log = event_log
        self.topic = state_topic(group)

    async def write(
        self,
        partition: int,
        input_offset: int | None,
        data: bytes,
        state_format: str,
        *,
        positions: Mapping[str, Mapping[int, int]] | None = None,
    ) -> int:
        """Append one snapshot; returns its compressed size. A processor's names the
        `input_offset` it covers; a read model's, folding several topics, its `positions`."""
        packed = await asyncio.to_thread(zlib.compress, data, 1)
        records = self.records(partition, packed, input_offset, state_format, positions)
        await self._log.append(records)
        return len(packed)

    def records(
        self,
        partition: int,
        packed: bytes,
        input_offset: int | None,
        state_format: str,
        positions: Mapping[str, Mapping[int, int]] | None,
    ) -> list[Outgoing]:
        """A snapshot's chunk records, then its manifest. The chunks' key names the snapshot
        (its digest), so a reader finds them even when another writer's records interleave
        (router replicas on Kafka all snapshot their read model to the same partition)."""
        chunks = [packed[i : i + CHUNK_BYTES] for i in range(0, len(packed), CHUNK_BYTES)]
        digest = hashlib.sha256(packed).hexdigest()
        chunk_key = f"{CHUNK}:{digest[:32]}"
        manifest: dict[str, object] = {"format": FORMAT, "state": state_format}
        if input_offset is not None:
            manifest["input_offset"] = input_offset
        if positions is not None:
            manifest["positions"] = {
                topic: {str(p): offset for p, offset in sorted(offsets.items())}
                for topic, offsets in positions.items()
            }
        manifest.update(chunks=len(chunks), sha256=digest, chunk_key=chunk_key)
        records = [Outgoing(self.topic, chunk_key, chunk, partition) for chunk in chunks]
        records.append(Outgoing(self.topic, MANIFEST, orjson.dumps(manifest), partition))
        return records

    async def latest(self, partition: int, state_format: str) -> Snapshot | None:
        """The newest complete snapshot of that state format, or None."""
        found = await self.newest_manifest(partition)
        if found is None:
            return None
        offset, manifest = found
        if manifest.get("format") != FORMAT or manifest.get("state") != state_format:
            log.info(
                "snapshot of another state format; rebuilding from the input",
                extra={"topic": self.topic, "partition": partition},
            )
            return None
        count = int(str(manifest["chunks"]))
        if count > offset:
            return None  # names chunks before the topic's start: not a manifest we wrote
        chunk_key = str(manifest.get("chunk_key", CHUNK))
        # Chunks come before their manifest: right before it, unless other writers' interleave.
        window = count if chunk_key == CHUNK else count * _INTERLEAVED + _SCAN_BACK
        chunks = (await self._read(partition, max(0, offset - window), offset, chunk_key))[-count:]
        packed = b"".join(record.value for record in chunks)
        if len(chunks) != count or hashlib.sha256(packed).hexdigest() != manifest["sha256"]:
            log.warning(
                "snapshot damaged; rebuilding from the input",
                extra={"topic": self.topic, "partition": partition, "offset": offset},
            )
            return None
        try:
            input_offset = _input_offset(manifest.get("input_offset"))
            positions = _positions(manifest.get("positions"))
        except UnreadableManifest as unreadable:
            log.warning(
                "snapshot manifest unreadable; rebuilding from the input",
                extra={"topic": self.topic, "partition": partition, "why": str(unreadable)},
            )
            return None
        data = await asyncio.to_thread(zlib.decompress, packed)
        return Snapshot(input_offset, data, positions)

    async def newest_manifest(self, partition: int) -> tuple[int, dict[str, object]] | None:
        """The newest manifest record among the partition's last records: its offset and
        fields (its chunks are not checked)."""
        end = await self._log.end_offset(self.topic, partition)
        offset = end - 1
        while offset >= max(0, end - _SCAN_BACK):
            records = await self._log.read(self.topic, partition, offset, offset + 1)
            if records and records[0].key == MANIFEST:
                manifest = orjson.loads(records[0].value)
                if isinstance(manifest, dict):
                    return records[0].offset, manifest
            offset -= 1
        return None

    async def _read(self, partition: int, start: int, end: int, key: str) -> list[Record]:
        found: list[Record] = []
        while start < end:
            batch = await self._log.read(self.topic, partition, start, end)
            if not batch:
                break
            found.extend(r for r in batch if r.key == key)
            start = batch[-1].offset + 1
        return found


def _input_offset(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UnreadableManifest(f"input_offset {value!r} is not an offset")
    return value


def _positions(value: object) -> Positions | None:
    """The manifest's positions as written: partitions back to numbers, offsets checked."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise UnreadableManifest("positions is not an object")
    positions: Positions = {}
    for topic, offsets in value.items():
        if not isinstance(offsets, dict):
            raise UnreadableManifest(f"positions of {topic} is not an object")
        of_topic = positions[str(topic)] = {}
        for partition, offset in offsets.items():
            number = _input_offset(offset)
            if not str(partition).isdigit() or number is None:
                raise UnreadableManifest(f"position {topic}[{partition}] is not an offset")
            of_topic[int(partition)] = number
    return positions
