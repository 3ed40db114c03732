"""The read model on a real embedded log starts from its newest snapshot and folds only the
records after the snapshot's positions, answering what a full rebuild answers; a snapshot it
cannot use (damaged, of another format, unreadable, ahead of the log) costs a full rebuild,
never a wrong answer; records read but not folded yet are never claimed by a snapshot."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from services.router.projection import snapshots as snapshots_module
from services.router.projection import tailer as tailer_module
from services.router.projection.load import ThreadLoad
from services.router.projection.model import IncidentProjection
from services.router.projection.snapshots import (
    STATE_GROUP,
    dump_projection,
    read_model_format,
)
from services.router.projection.tailer import READ_TOPICS, ProjectionTailer
from shared.log.embedded import EmbeddedLog
from shared.log.port import Outgoing
from shared.runtime.snapshots import CHUNK, MANIFEST, SnapshotStore
from shared.topics import ALL_TOPICS, INCIDENTS
from tests.support.incident_history import after_snapshot, answers, before_snapshot

BEFORE, AFTER = before_snapshot(), after_snapshot()


async def _open(path: Path) -> EmbeddedLog:
    log = EmbeddedLog(path)
    await log.start()
    await log.ensure_topics({topic: 4 for topic in ALL_TOPICS})
    return log


@pytest.fixture
async def event_log(tmp_path: Path) -> AsyncIterator[EmbeddedLog]:
    log = await _open(tmp_path / "log.sqlite")
    yield log
    await log.close()


@contextlib.asynccontextmanager
async def running(event_log: EmbeddedLog, **options: Any) -> AsyncIterator[ProjectionTailer]:
    """A tailer that is ready; stopped cleanly on leaving."""
    tailer = ProjectionTailer(event_log, **options)
    stop = asyncio.Event()
    task = asyncio.create_task(tailer.run(stop))
    try:
        await asyncio.wait_for(asyncio.shield(tailer.ready.wait()), 10)
        yield tailer
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def _rebuilt_answers(tmp_path: Path) -> dict[str, Any]:
    """The answers of a read model built from the whole history on a log without snapshots."""
    log = await _open(tmp_path / "fresh.sqlite")
    await log.append(BEFORE + AFTER)
    async with running(log) as rebuilt:
        assert rebuilt.folded_records == len(BEFORE) + len(AFTER)
        found = answers(await rebuilt.current())
    await log.close()
    return found


def _said(caplog: pytest.LogCaptureFixture, message: str) -> bool:
    return any(record.getMessage() == message for record in caplog.records)


async def _ends(event_log: EmbeddedLog) -> dict[str, dict[str, int]]:
    return {
        topic: {str(p): await event_log.end_offset(topic, p) for p in range(4)}
        for topic in READ_TOPICS
    }


async def _newest_positions(event_log: EmbeddedLog) -> object:
    found = await SnapshotStore(event_log, STATE_GROUP).newest_manifest(0)
    return found[1].get("positions") if found is not None else None


async def test_a_restart_folds_only_the_records_after_the_snapshot_and_answers_as_a_rebuild(
    event_log: EmbeddedLog, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a read model that folded a history and stopped cleanly (a snapshot at stop),
    await event_log.append(BEFORE)
    async with running(event_log):
        pass
    assert await _newest_positions(event_log) == await _ends(event_log)
    # and more history after it,
    await event_log.append(AFTER)

    # when a read model starts again,
    with caplog.at_level(logging.INFO, logger=tailer_module.__name__):
        async with running(event_log) as restarted:
            restored = answers(await restarted.current())
            folded = restarted.folded_records

    # then it restored the snapshot and folded only what came after it,
    assert _said(caplog, "read model restored from snapshot")
    assert folded == len(AFTER)
    # and answers exactly what a read model rebuilt from the whole log answers.
    assert restored == await _rebuilt_answers(tmp_path)
    assert restored["total"] == 6
    assert restored["triggered"] == ["INC-5", "INC-9", "INC-4"]


async def test_a_read_model_stopped_abruptly_restarts_from_its_last_periodic_snapshot(
    event_log: EmbeddedLog, tmp_path: Path
) -> None:
    # Given a read model that snapshots every 5 records, has folded a history, and is then
    # cancelled (no snapshot at stop) once a snapshot holds everything it folded,
    await event_log.append(BEFORE)
    tailer = ProjectionTailer(event_log, snapshot_every=5)
    task = asyncio.create_task(tailer.run(asyncio.Event()))
    await asyncio.wait_for(tailer.ready.wait(), 10)
    ends = await _ends(event_log)
    for _ in range(250):
        if await _newest_positions(event_log) == ends:
            break
        await asyncio.sleep(0.02)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await event_log.append(AFTER)

    # when it starts again,
    async with running(event_log) as restarted:
        restored = answers(await restarted.current())
        folded = restarted.folded_records

    # then it folded only what came after that snapshot, and answers as a full rebuild.
    assert folded == len(AFTER)
    assert restored == await _rebuilt_answers(tmp_path)


async def _damaged(event_log: EmbeddedLog, store: SnapshotStore) -> None:
    """The newest snapshot's manifest again, after a chunk under its key that is not the one
    it hashed."""
    found = await store.newest_manifest(0)
    assert found is not None
    manifest = orjson.dumps(found[1])
    await event_log.append(
        [
            Outgoing(store.topic, str(found[1].get("chunk_key", CHUNK)), b"not the chunk", 0),
            Outgoing(store.topic, MANIFEST, manifest, 0),
        ]
    )


async def _of_another_format(event_log: EmbeddedLog, store: SnapshotStore) -> None:
    positions = await _positions(event_log)
    await store.write(0, None, dump_projection(IncidentProjection()), "v0", positions=positions)


async def _unreadable(event_log: EmbeddedLog, store: SnapshotStore) -> None:
    positions = await _positions(event_log)
    await store.write(0, None, b"not a pickle", read_model_format(), positions=positions)


async def _not_a_projection(event_log: EmbeddedLog, store: SnapshotStore) -> None:
    positions = await _positions(event_log)
    await store.write(0, None, dump_projection([]), read_model_format(), positions=positions)  # type: ignore[arg-type]


async def _ahead_of_the_log(event_log: EmbeddedLog, store: SnapshotStore) -> None:
    positions = await _positions(event_log)
    positions[INCIDENTS][0] += 1_000
    empty = dump_projection(IncidentProjection())
    await store.write(0, None, empty, read_model_format(), positions=positions)


async def _without_positions(event_log: EmbeddedLog, store: SnapshotStore) -> None:
    empty = dump_projection(IncidentProjection())
    await store.write(0, 5, empty, read_model_format())


async def _positions(event_log: EmbeddedLog) -> dict[str, dict[int, int]]:
    ends = await _ends(event_log)
    return {topic: {int(p): end for p, end in of.items()} for topic, of in ends.items()}


Spoil = Callable[[EmbeddedLog, SnapshotStore], Awaitable[None]]


@pytest.mark.parametrize(
    "spoil",
    [
        _damaged,
        _of_another_format,
        _unreadable,
        _not_a_projection,
        _ahead_of_the_log,
        _without_positions,
    ],
    ids=lambda spoil: spoil.__name__.strip("_"),
)
async def test_a_snapshot_that_cannot_be_used_costs_a_full_rebuild_with_the_same_answers(
    event_log: EmbeddedLog, tmp_path: Path, caplog: pytest.LogCaptureFixture, spoil: Spoil
) -> None:
    # Given a read model stopped after folding a history, whose newest snapshot is then
    # replaced by one it cannot use, and more history,
    await event_log.append(BEFORE)
    async with running(event_log):
        pass
    await spoil(event_log, SnapshotStore(event_log, STATE_GROUP))
    await event_log.append(AFTER)

    # when a read model starts,
    with caplog.at_level(logging.INFO):
        async with running(event_log) as restarted:
            found = answers(await restarted.current())
            folded = restarted.folded_records

    # then it rebuilt from the whole log, saying so, and answers as a rebuild does.
    assert folded == len(BEFORE) + len(AFTER)
    assert _said(caplog, "read model rebuilt from the log")
    assert found == await _rebuilt_answers(tmp_path)


async def test_records_read_but_not_folded_are_not_claimed_by_a_snapshot(
    event_log: EmbeddedLog, tmp_path: Path
) -> None:
    # Given a read model that folded a history, snapshots after every record, and whose
    # loop is always busy: the records read after it was ready wait in its backlog,
    await event_log.append(BEFORE)
    always_busy = ThreadLoad(threshold=-1.0)
    async with running(event_log, load=always_busy, snapshot_every=1) as tailer:
        folded = tailer.positions()
        await event_log.append(AFTER)
        for _ in range(250):
            if tailer.backlog_size == len(AFTER):
                break
            await asyncio.sleep(0.02)
        assert tailer.backlog_size == len(AFTER)

        # then its positions do not move while they wait,
        assert tailer.positions() == folded
    # nor does the snapshot taken when it stops with them still waiting claim them,
    assert await _newest_positions(event_log) == {
        topic: {str(p): offset for p, offset in of.items()} for topic, of in folded.items()
    }

    # and the next start folds them, answering as a full rebuild.
    async with running(event_log) as restarted:
        assert restarted.folded_records == len(AFTER)
        assert answers(await restarted.current()) == await _rebuilt_answers(tmp_path)


async def test_history_pruned_before_the_snapshot_positions_is_not_needed_to_restart(
    tmp_path: Path,
) -> None:
    # Given a read model stopped after folding a history, whose log then lost every record
    # before the snapshot's positions (retention keeps each partition's last record),
    path = tmp_path / "log.sqlite"
    event_log = await _open(path)
    await event_log.append(BEFORE)
    async with running(event_log):
        pass
    await event_log.close()
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        for topic in READ_TOPICS:
            connection.execute(
                "DELETE FROM records WHERE topic = ? AND offset < ("
                " SELECT MAX(offset) FROM records AS kept"
                " WHERE kept.topic = records.topic AND kept.partition = records.partition)",
                (topic,),
            )
    event_log = await _open(path)
    await event_log.append(AFTER)

    # when a read model starts,
    async with running(event_log) as restarted:
        found = answers(await restarted.current())
    await event_log.close()

    # then it answers what a read model of the whole history answers.
    assert found == await _rebuilt_answers(tmp_path)


async def test_periodic_snapshots_wait_while_their_time_allowance_is_spent(
    event_log: EmbeddedLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a read model whose snapshots may take no time at all, due one after every record,
    monkeypatch.setattr(snapshots_module, "TIME_BURST_S", 0.0)
    monkeypatch.setattr(snapshots_module, "TIME_SHARE", 0.0)
    store = SnapshotStore(event_log, STATE_GROUP)
    await event_log.append(BEFORE)
    async with running(event_log, snapshot_every=1) as tailer:
        await event_log.append(AFTER)
        await tailer.wait_until(lambda: tailer.projection.incidents.get("INC-5"), 5)

        # then none is taken while it runs,
        assert await store.newest_manifest(0) is None
    # and the only one is the one a clean stop takes.
    assert await _newest_positions(event_log) == await _ends(event_log)
    manifests = await event_log.read(store.topic, 0, 0, 1 << 30)
    assert [record.key for record in manifests].count(MANIFEST) == 1
