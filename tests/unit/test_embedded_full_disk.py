"""A full disk: the embedded log refuses the append as unavailable (a 503 upstream), with
SQLite's own reason — not a failed ROLLBACK hiding it — and takes appends again once there
is room."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from shared.log.embedded import EmbeddedLog
from shared.log.port import LogUnavailable, Outgoing


async def test_an_append_that_fills_the_disk_says_so_and_the_log_recovers(tmp_path: Path) -> None:
    log = EmbeddedLog(tmp_path / "log.sqlite")
    await log.start()
    await log.ensure_topics({"t": 1})
    writer = log._require_writer()
    pages = writer.execute("PRAGMA page_count").fetchone()[0]
    writer.execute(f"PRAGMA max_page_count = {pages + 2}")  # room for a few KB, no more
    big = [Outgoing("t", "k", b"x" * 4096) for _ in range(50)]
    try:
        with pytest.raises(LogUnavailable) as refused:
            await log.append(big)
        assert "full" in str(refused.value), str(refused.value)

        writer.execute("PRAGMA max_page_count = 1073741823")  # room again
        await log.append([Outgoing("t", "k", b"after")])
        [record] = await log.read("t", 0, 0, 10)
        assert record.value == b"after"  # nothing of the refused append was kept
    finally:
        await log.close()


async def test_readiness_fails_while_the_disk_is_full_and_returns_with_room(
    tmp_path: Path,
) -> None:
    log = EmbeddedLog(tmp_path / "log.sqlite")
    await log.start()
    await log.ensure_topics({"t": 1})
    writer = log._require_writer()
    try:
        assert await log.ping()
        pages = writer.execute("PRAGMA page_count").fetchone()[0]
        writer.execute(f"PRAGMA max_page_count = {pages}")  # not one page more
        with pytest.raises(LogUnavailable):
            await log.append([Outgoing("t", "k", b"x" * 8192)])
        assert not await log.ping()  # the probe write finds no room either
        assert not await log.ping()

        writer.execute("PRAGMA max_page_count = 1073741823")
        assert await log.ping()  # the probe commits: ready again before any append
        await log.append([Outgoing("t", "k", b"after")])
        assert await log.ping()
    finally:
        await log.close()


async def test_an_append_given_up_on_while_queued_is_never_written(tmp_path: Path) -> None:
    # Given a transaction in flight, held on the writer thread
    log = EmbeddedLog(tmp_path / "log.sqlite")
    await log.start()
    await log.ensure_topics({"t": 1})
    release = threading.Event()
    write_batch = log._write_batch

    def held(batch: Any) -> Any:
        release.wait(10)
        return write_batch(batch)

    log._write_batch = held  # type: ignore[method-assign]
    try:
        first = asyncio.create_task(log.append([Outgoing("t", "k", b"in flight")]))
        await asyncio.sleep(0.05)
        # When an append queued behind it is given up on (a request's deadline passes)
        queued = asyncio.create_task(log.append([Outgoing("t", "k", b"given up")]))
        await asyncio.sleep(0.05)
        queued.cancel()
        release.set()
        await first
        with pytest.raises(asyncio.CancelledError):
            await queued
        await log.append([Outgoing("t", "k", b"after")])

        # Then the log holds the one in flight and the next, not the one given up on
        values = [record.value for record in await log.read("t", 0, 0, 10)]
        assert values == [b"in flight", b"after"]
    finally:
        release.set()
        await log.close()
