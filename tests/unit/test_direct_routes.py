"""Ingest's POST paths are served straight to their raw endpoints, answering as the full app
would; everything else, and everything the bypass cannot be sure of, goes through the app."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from services.cli.assembly import TocsinApp
from services.cli.direct_routes import _direct_handlers
from services.ingest.raw_route import RawRequestRoute


async def accept(request: Request) -> Response:
    return JSONResponse({"body": (await request.body()).decode()}, status_code=202)


async def fail(request: Request) -> Response:
    raise RuntimeError("boom")


async def refuse(request: Request) -> Response:
    raise HTTPException(403, "not yours")


def app_with_raw_routes() -> FastAPI:
    raw = APIRouter(route_class=RawRequestRoute)
    raw.add_api_route("/in", accept, methods=["POST"])
    raw.add_api_route("/fail", fail, methods=["POST"])
    raw.add_api_route("/refuse", refuse, methods=["POST"])
    raw.add_api_route("/in/{name}", accept, methods=["POST"])
    outer = APIRouter()
    outer.include_router(raw)
    app = TocsinApp()
    app.include_router(outer)
    return app


async def post(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.post(path, content=b"hello")


def test_only_parameterless_post_paths_of_raw_routes_go_direct() -> None:
    assert sorted(_direct_handlers(app_with_raw_routes())) == ["/fail", "/in", "/refuse"]


def test_a_path_an_earlier_route_takes_is_left_to_the_app() -> None:
    app = TocsinApp()
    app.add_api_route("/in", accept, methods=["POST"])  # an ordinary route, registered first
    raw = APIRouter(route_class=RawRequestRoute)
    raw.add_api_route("/in", accept, methods=["POST"])
    app.include_router(raw)
    assert _direct_handlers(app) == {}


async def test_direct_answers_are_the_endpoints_own() -> None:
    answer = await post(app_with_raw_routes(), "/in")
    assert (answer.status_code, answer.json()) == (202, {"body": "hello"})


async def test_an_endpoint_that_fails_answers_500_as_the_app_would() -> None:
    answer = await post(app_with_raw_routes(), "/fail")
    assert (answer.status_code, answer.text) == (500, "Internal Server Error")


async def test_an_http_exception_is_answered_by_the_apps_handler() -> None:
    answer = await post(app_with_raw_routes(), "/refuse")
    assert (answer.status_code, answer.json()) == (403, {"detail": "not yours"})


@pytest.mark.parametrize("path", ["/in", "/in/x"])
async def test_with_user_middleware_every_request_goes_through_the_app(path: str) -> None:
    seen: list[str] = []

    class Witness:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            seen.append(scope.get("path", ""))
            await self.app(scope, receive, send)

    app = app_with_raw_routes()
    app.add_middleware(Witness)
    answer = await post(app, path)
    assert answer.status_code == 202
    assert seen == [path]
