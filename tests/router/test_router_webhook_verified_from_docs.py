"""A receiver verifies Tocsin's webhook with the recipe in the router README, as a third
party would: the README's code, run against a request a real local server received."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from services.router.channels.http_post import JsonPoster
from services.router.channels.settings import WebhookSettings
from services.router.channels.webhook import WebhookChannel
from tests.support.sample_page import PAGE

README = Path(__file__).parents[2] / "services" / "router" / "README.md"
SECRET = "whsec_from_the_docs"
Verifier = Callable[[bytes, dict[str, str], bytes], bool]


def documented_verifier(clock_skew: float = 0.0) -> Verifier:
    """The README's function; `clock_skew` moves the receiver's clock (seconds)."""
    text = README.read_text(encoding="utf-8")
    section = text.split("### Verifying a webhook", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, "the README shows no verification code"
    scope: dict[str, Any] = {}
    exec(match.group(1), scope)  # the documented code, as a receiver would paste it
    scope["time"] = SimpleNamespace(time=lambda: time.time() + clock_skew)
    return cast(Verifier, scope["is_from_tocsin"])


async def received_request() -> tuple[dict[str, str], bytes]:
    """One page sent by the webhook channel, as a plain HTTP server saw it."""
    seen: asyncio.Future[tuple[dict[str, str], bytes]] = asyncio.Future()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        headers: dict[str, str] = {}
        while (line := await reader.readline()) != b"\r\n":
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip()] = value.strip()
        body = await reader.readexactly(int(headers["Content-Length"]))
        writer.write(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()
        seen.set_result((headers, body))

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook"
    poster = JsonPoster()
    try:
        await WebhookChannel(WebhookSettings(url=url, secret=SECRET), poster).send(PAGE)
        return await asyncio.wait_for(seen, 5)
    finally:
        await poster.close()
        server.close()
        await server.wait_closed()


async def test_documented_recipe_verifies_a_real_request_and_rejects_altered_ones() -> None:
    verify = documented_verifier()
    headers, body = await received_request()

    assert headers["X-Tocsin-Notification-Id"] == PAGE.notification_id
    assert verify(SECRET.encode(), headers, body)
    assert not verify(b"another secret", headers, body)
    assert not verify(SECRET.encode(), headers, body.replace(b"P2", b"P5"))
    later = {**headers, "X-Tocsin-Timestamp": str(int(headers["X-Tocsin-Timestamp"]) + 1)}
    assert not verify(SECRET.encode(), later, body)


async def test_documented_recipe_refuses_a_replay_older_than_five_minutes() -> None:
    headers, body = await received_request()

    # The same request, checked at once, four minutes later, and replayed six minutes later.
    answers = [documented_verifier(skew)(SECRET.encode(), headers, body) for skew in (0, 240, 360)]

    assert answers == [True, True, False]
