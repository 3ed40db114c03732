"""Serving the ingest POST paths without the framework's per-request machinery.

An ingest endpoint (a `RawRequestRoute`) takes the bare request, checks its own credential and
size limit and answers every error in its source's shape, so the middleware stack and route
matching FastAPI runs around it would decide nothing — yet they cost as much CPU as the
endpoint's own work, at every alert. `DirectRoutes` finds, once, the POST paths that FastAPI
itself would send to such an endpoint and calls the endpoint's handler for them directly; every
other request, and every path whose dispatch this module cannot be sure of, goes through the app.

What the bypassed layers still do here: an exception answers 500 `Internal Server Error` and
propagates to the server (as Starlette's error middleware does), and an `HTTPException` is
answered by the app's own handler. The OpenAPI documentation is untouched: routes stay
registered with the app.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse
from starlette.routing import Match
from starlette.types import Receive, Scope, Send

from services.ingest.raw_route import RawRequestRoute

Handler = Callable[[Request], Awaitable[Response]]


class DirectRoutes:
    def __init__(self, app: FastAPI) -> None:
        self._app = app
        self._handlers: dict[str, tuple[APIRoute, Handler]] | None = None

    def handler_for(self, scope: Scope) -> tuple[APIRoute, Handler] | None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope.get("root_path"):
            return None
        if self._handlers is None:  # routes are all added by the first request
            self._handlers = _direct_handlers(self._app)
        return self._handlers.get(scope["path"])

    async def serve(
        self, found: tuple[APIRoute, Handler], scope: Scope, receive: Receive, send: Send
    ) -> None:
        route, handler = found
        scope["app"] = self._app
        scope.update(endpoint=route.endpoint, route=route, path_params={})
        request = Request(scope, receive, send)
        try:
            response = await handler(request)
        except HTTPException as refused:
            response = await _answer(self._app, request, refused)
        except Exception:
            await PlainTextResponse("Internal Server Error", status_code=500)(scope, receive, send)
            raise
        await response(scope, receive, send)


async def _answer(app: FastAPI, request: Request, refused: HTTPException) -> Response:
    handler: Any = app.exception_handlers[HTTPException]
    response: Response = await handler(request, refused)
    return response


def _direct_handlers(app: FastAPI) -> dict[str, tuple[APIRoute, Handler]]:
    """POST paths (without parameters) that the app routes to a raw endpoint, when nothing
    the bypass would skip applies to them: no user middleware, no body limit, no 500 handler."""
    if app.user_middleware or app.max_body_size is not None or _has_error_handler(app):
        return {}
    contexts = list(iter_route_contexts(app.routes))
    direct: dict[str, tuple[APIRoute, Handler]] = {}
    for context in contexts:
        route = context.original_route
        path = context.path
        if not isinstance(route, RawRequestRoute) or path is None or "{" in path:
            continue
        if "POST" not in (context.methods or ()) or route.max_body_size is not None:
            continue
        if route.dependencies or _first_full_match(contexts, path) is not route:
            continue
        direct[path] = (route, route.get_route_handler())
    return direct


def _has_error_handler(app: FastAPI) -> bool:
    return any(key in (500, Exception) for key in app.exception_handlers)


def _first_full_match(contexts: list[Any], path: str) -> object | None:
    """The route the app's router picks for a POST to `path`: the first full match."""
    scope: Scope = {"type": "http", "method": "POST", "path": path, "root_path": ""}
    for context in contexts:
        match, _ = context.matches(dict(scope))
        if match == Match.FULL:
            chosen: object = context.original_route
            return chosen
    return None
