"""The embedded log's writer thread: runs SQLite transactions one after another off the event
loop, and hands each result back to the loop.

One long-lived thread fed by a queue, rather than `asyncio.to_thread` per transaction: the
executor's per-call bookkeeping (context copy, work item, future chaining) cost the loop's
thread more than the hand-off itself, at every group commit.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from shared.log.port import LogUnavailable

T = TypeVar("T")
_Job = tuple[Callable[[], Any], asyncio.Future[Any], asyncio.AbstractEventLoop]


class WriterThread:
    def __init__(self, name: str) -> None:
        self._name = name
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name=self._name, daemon=True)
            self._thread.start()

    def run(self, job: Callable[[], T]) -> asyncio.Future[T]:
        """`job()` in the thread, after every job submitted before it."""
        if self._thread is None:
            raise LogUnavailable("embedded log is closed")
        loop = asyncio.get_running_loop()
        done: asyncio.Future[T] = loop.create_future()
        self._jobs.put((job, done, loop))
        return done

    async def stop(self) -> None:
        """Finish the jobs submitted, then end the thread."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._jobs.put(None)
            await asyncio.to_thread(thread.join)

    def _serve(self) -> None:
        while (item := self._jobs.get()) is not None:
            job, done, loop = item
            try:
                result = job()
            except Exception as error:  # handed to the awaiting caller, which decides
                loop.call_soon_threadsafe(_settle, done, None, error)
            else:
                loop.call_soon_threadsafe(_settle, done, result, None)


def _settle(done: asyncio.Future[Any], result: object, error: Exception | None) -> None:
    if done.cancelled():
        return
    if error is not None:
        done.set_exception(error)
    else:
        done.set_result(result)
