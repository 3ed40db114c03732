"""At a clean stop the HTTP client closes only once the dispatchers using it have stopped, so
the pages on their way have their answer (or a few stop graces are over): closed under them,
a page the receiver took would be recorded as failed, and escalate."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from services.router.channels.delivery import Delivered, RetryableFailure
from services.router.channels.http_post import JsonPoster
from tests.support.brokers import free_port

WAIT_S = 10.0  # only so a broken client fails the test instead of hanging it


@pytest.fixture
async def slow_receiver(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A receiver answering 200 after `request.param` seconds."""
    delay_s: float = request.param
    released = asyncio.Event()  # at the end of the test: no handler left to wait for

    async def answer(_: web.Request) -> web.Response:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(released.wait(), delay_s)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/pages", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}/pages"
    released.set()
    await runner.cleanup()


@pytest.mark.parametrize("slow_receiver", [30.0], indirect=True)
async def test_the_client_waits_for_a_hanging_dispatcher_no_longer_than_a_few_graces(
    slow_receiver: str,
) -> None:
    poster, stop = JsonPoster(stop_grace_s=0.3), asyncio.Event()
    poster.close_after(asyncio.Event())  # a dispatcher that never ends its stop
    running = asyncio.create_task(poster.run(stop))
    posting = asyncio.create_task(poster.post(slow_receiver, b"{}", {}, 20.0))
    await asyncio.sleep(0.1)

    stop.set()

    await asyncio.wait_for(running, 2.0)
    assert await asyncio.wait_for(posting, WAIT_S) != Delivered()


@pytest.mark.parametrize("slow_receiver", [0.6], indirect=True)
async def test_the_client_closes_only_once_its_dispatchers_have_stopped(
    slow_receiver: str,
) -> None:
    # The dispatcher's own grace for its deliveries starts once its poll loop ends, later
    # than the stop: the client waits for it, not for its own grace from the stop.
    poster, stop, dispatcher_stopped = (
        JsonPoster(stop_grace_s=0.3),
        asyncio.Event(),
        asyncio.Event(),
    )
    poster.close_after(dispatcher_stopped)
    running = asyncio.create_task(poster.run(stop))
    posting = asyncio.create_task(poster.post(slow_receiver, b"{}", {}, 5.0))
    await asyncio.sleep(0.1)

    stop.set()
    await asyncio.sleep(0.4)  # past the client's grace from the stop

    assert not running.done()
    assert await asyncio.wait_for(posting, WAIT_S) == Delivered()
    dispatcher_stopped.set()
    await asyncio.wait_for(running, WAIT_S)


async def test_a_closed_client_opens_no_session_for_a_retry() -> None:
    poster = JsonPoster()
    await poster.close()

    outcome = await poster.post("http://127.0.0.1:9/pages", b"{}", {}, 1.0)

    assert outcome == RetryableFailure("the router is stopping")
