"""A FastAPI route whose endpoint receives the bare `Request`, documented like any other.

Ingest endpoints read their credential, path and query parameters and the raw body
themselves: the size limit comes before parsing, and every source answers errors in its own
shape. FastAPI's parameter solving, body handling and response validation would have nothing
to do but still cost a third of the framework's time per request, so this route skips them.
Its parameters and body are documented through `openapi_extra` (see `openapi.py`). Router-level
dependencies are not run for such routes: ingest declares none.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, cast

from fastapi import Request, Response
from fastapi.routing import APIRoute

RawEndpoint = Callable[[Request], Awaitable[Response]]


class RawRequestRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint = cast(RawEndpoint, self.endpoint)

        async def handle(request: Request) -> Response:
            return await endpoint(request)

        return handle
