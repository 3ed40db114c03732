"""The embedded log's writer thread runs jobs in the order given and hands back results and
errors to the awaiting caller; once stopped it takes no more."""

from __future__ import annotations

import threading

import pytest

from shared.log.embedded_writer import WriterThread
from shared.log.port import LogUnavailable


async def test_jobs_run_in_order_off_the_loop_thread() -> None:
    writer = WriterThread("test-writer")
    writer.start()
    ran: list[int] = []

    def job(n: int) -> str:
        ran.append(n)
        return threading.current_thread().name

    futures = [writer.run(lambda n=n: job(n)) for n in range(20)]
    names = {await future for future in futures}
    assert ran == list(range(20))
    assert names == {"test-writer"}
    await writer.stop()


async def test_an_error_reaches_the_caller_and_later_jobs_still_run() -> None:
    writer = WriterThread("test-writer")
    writer.start()

    def fail() -> None:
        raise ValueError("bad row")

    failing = writer.run(fail)
    after = writer.run(lambda: 42)
    with pytest.raises(ValueError, match="bad row"):
        await failing
    assert await after == 42
    await writer.stop()
    with pytest.raises(LogUnavailable):
        writer.run(lambda: 1)
