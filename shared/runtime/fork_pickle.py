"""Pickling a large state in a forked child, so that the event loop pauses for the fork only.

The child is a copy-on-write image of the process at the fork: it holds the state as it is
then, whatever the loop changes afterwards, pickles it into a pipe and exits at once with
`os._exit` (no cleanup: it shares the parent's sockets and files and must not touch them).
Where fork is not available or fails, the state is pickled in place, holding the loop.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
_READ = 1 << 20
# Children pickling now (pid → when forked), and how long one may be counted so at most.
_pickling: dict[int, float] = {}
_COUNTED_AT_MOST_S = 120.0


def child_pickling() -> bool:
    """Whether a child forked here is still pickling. Forking another meanwhile would stack
    their costs: while a child lives, each page the process writes is copied for it first,
    which slows the event loop for as long as the child pickles."""
    now = time.monotonic()
    for pid, forked_at in list(_pickling.items()):
        if now - forked_at > _COUNTED_AT_MOST_S:
            del _pickling[pid]  # never collected (its caller stopped): no longer counted
    return bool(_pickling)


class ChildFailed(RuntimeError):
    """The child that pickled the state did not finish."""


class PickledInChild(Generic[T]):
    """`dump(state)` as it is at construction, made off the event loop; `await .bytes()`."""

    def __init__(self, state: T, dump: Callable[[T], bytes]) -> None:
        self._in_place: bytes | None = None
        self._pid, self._read_fd = 0, -1
        if not hasattr(os, "fork"):
            self._in_place = dump(state)
            return
        read_fd, write_fd = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_fd)
            os.close(write_fd)
            log.warning("cannot fork to pickle; pickling in place", exc_info=True)
            self._in_place = dump(state)
            return
        if pid == 0:  # the child: never returns
            _pickle_and_exit(state, dump, read_fd, write_fd)
        os.close(write_fd)
        self._pid, self._read_fd = pid, read_fd
        _pickling[pid] = time.monotonic()

    @property
    def child_pid(self) -> int | None:
        """The pickling child's process id; None when pickled in place."""
        return self._pid or None

    async def bytes(self) -> bytes:
        if self._in_place is not None:
            return self._in_place
        # One thread reads, closes the pipe and reaps the child, even if this await is
        # cancelled: the descriptor is never closed under a read in progress.
        data, status = await asyncio.to_thread(_collect, self._read_fd, self._pid)
        if os.waitstatus_to_exitcode(status) != 0:
            raise ChildFailed(f"pickling child exited with status {status}")
        return data


def _pickle_and_exit(state: T, dump: Callable[[T], bytes], read_fd: int, write_fd: int) -> None:
    code = 1
    try:
        os.close(read_fd)
        view = memoryview(dump(state))
        while view:
            view = view[os.write(write_fd, view) :]
        code = 0
    finally:
        os._exit(code)


def _collect(read_fd: int, pid: int) -> tuple[bytes, int]:
    chunks: list[bytes] = []
    try:
        while chunk := os.read(read_fd, _READ):
            chunks.append(chunk)
    finally:
        os.close(read_fd)
        _, status = os.waitpid(pid, 0)
        _pickling.pop(pid, None)  # one operation: safe from this thread
    return b"".join(chunks), status
