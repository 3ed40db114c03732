"""The demo inbox: an HTTP endpoint that receives pages the way a team's webhook receiver or
Slack would, and lists them. It lets `tocsin up` with the demo config show real HTTP
delivery — signed webhook JSON and Slack Block Kit — with nothing else running.

Enabled by `api: {demo_inbox: true}`; pages are kept in memory (the latest few hundred) and
each arrival is logged, so they also show on the console.
"""

from __future__ import annotations

import logging
from collections import deque
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

INBOX_PATH = "/demo/inbox"
_KEPT = 500
_HEADERS = ("x-tocsin-notification-id", "x-tocsin-timestamp", "x-tocsin-signature")

log = logging.getLogger("tocsin.demo_inbox")


def page_format(body: Any) -> str:
    """Slack incoming webhooks take Block Kit (`blocks`); Tocsin's webhook JSON has a version."""
    if isinstance(body, dict) and "blocks" in body:
        return "slack"
    if isinstance(body, dict) and body.get("version") == "1":
        return "webhook"
    return "unknown"


def headline(body: Any) -> str:
    if not isinstance(body, dict):
        return ""
    if isinstance(body.get("summary"), str):
        return str(body["summary"])
    return str(body.get("text", ""))


def inbox_routes() -> APIRouter:
    received: deque[dict[str, Any]] = deque(maxlen=_KEPT)
    router = APIRouter(prefix=INBOX_PATH, tags=["demo inbox"])

    @router.post("/{box}", summary="Receive a page (demo)")
    async def receive(box: str, request: Request) -> JSONResponse:
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return JSONResponse({"error": "body is not JSON"}, status_code=400)
        entry = {
            "box": box,
            "received_at": datetime.now(UTC).isoformat(),
            "format": page_format(body),
            "headers": {name: value for name in _HEADERS if (value := request.headers.get(name))},
            "body": body,
        }
        received.append(entry)
        log.info("page in demo inbox %s (%s): %s", box, entry["format"], headline(body))
        return JSONResponse({"ok": True})

    @router.get("", summary="Pages received so far, newest last (demo)")
    async def listing(box: str | None = None) -> list[dict[str, Any]]:
        return [entry for entry in received if box is None or entry["box"] == box]

    return router
