"""A state pickled by a forked child is the state as it was when the child was forked, made
while the event loop goes on; a child that fails is reported, and without fork the state is
pickled in place."""

from __future__ import annotations

import asyncio
import os
import pickle
from pathlib import Path

import pytest

from shared.events import AnyEvent, Envelope
from shared.log.embedded import EmbeddedLog
from shared.log.port import Outgoing
from shared.runtime import fork_pickle
from shared.runtime.fork_pickle import ChildFailed, PickledInChild
from shared.runtime.processor import PartitionProcessor
from shared.runtime.snapshot_keeper import SnapshotKeeper


def _dump(state: dict[str, list[int]]) -> bytes:
    return pickle.dumps(state)


async def test_the_child_pickles_the_state_as_it_was_at_the_fork() -> None:
    state = {"numbers": list(range(100_000))}
    pickling = PickledInChild(state, _dump)
    state["numbers"].clear()  # the loop goes on changing it
    state["later"] = [1]

    data = await pickling.bytes()

    assert pickle.loads(data) == {"numbers": list(range(100_000))}


async def test_the_loop_runs_while_the_child_pickles() -> None:
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.001)

    ticker = asyncio.create_task(ticking())
    slow = {"numbers": list(range(3_000_000))}
    data = await PickledInChild(slow, _dump).bytes()
    ticker.cancel()
    assert len(pickle.loads(data)["numbers"]) == 3_000_000
    assert ticks >= 3


def _failing(state: dict[str, list[int]]) -> bytes:
    raise ValueError("cannot pickle this")


async def test_a_child_that_fails_is_reported() -> None:
    with pytest.raises(ChildFailed):
        await PickledInChild({"numbers": [1]}, _failing).bytes()


async def test_without_fork_the_state_is_pickled_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fork() -> int:
        raise OSError("fork refused")

    monkeypatch.setattr(fork_pickle.os, "fork", no_fork)
    state = {"numbers": [1, 2]}
    pickling = PickledInChild(state, _dump)
    state["numbers"].clear()
    assert pickle.loads(await pickling.bytes()) == {"numbers": [1, 2]}


def test_the_child_is_reaped() -> None:
    pickling = PickledInChild({"numbers": [1]}, _dump)
    pid = pickling.child_pid
    assert pid is not None
    asyncio.run(pickling.bytes())
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _slow_dump(state: dict[str, list[int]]) -> bytes:
    import time

    time.sleep(0.3)
    return pickle.dumps(state)


async def test_a_child_is_counted_as_pickling_until_it_is_collected() -> None:
    """Snapshot takers wait for it: two children at once stack their copy-on-write costs."""
    assert not fork_pickle.child_pickling()
    pickling = PickledInChild({"numbers": [1]}, _slow_dump)
    assert fork_pickle.child_pickling()
    await pickling.bytes()
    assert not fork_pickle.child_pickling()


async def test_a_snapshot_is_not_forked_while_another_child_pickles(tmp_path: Path) -> None:
    keeper = SnapshotKeeper(EmbeddedLog(tmp_path / "log.sqlite"), "in", "group", every=1)
    processors = {0: Keeping(0)}
    keeper.folded(0, 5, 500)
    other = PickledInChild({"numbers": [1]}, _slow_dump)

    assert keeper.take_due(processors, [0]) is None  # stays due
    await other.bytes()
    taken = keeper.take_due(processors, [0])
    assert taken is not None
    await taken.bytes()


class Keeping(PartitionProcessor):
    def apply(self, envelope: Envelope, event: AnyEvent, *, live: bool) -> list[Outgoing]:
        return []

    def state_to_snapshot(self) -> object:
        return {"kept": True}
