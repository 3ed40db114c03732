"""GET|POST /api/v1/incidents/{id}/{acknowledge|resolve}/link?e=&s=: one-click links, and
GET /api/v1/incidents/{id}/view/link?e=&s=: the incident page.

GET only shows a confirmation form (mail scanners and link previews follow links); the
form's POST acts. The signature is the credential: it names incident, action, expiry and
recipient, so a link cannot be turned into another (a view link into an acknowledge link).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.router.api import link_pages
from services.router.api.answers import UNKNOWN_INCIDENT
from services.router.api.incident_page import incident_page
from services.router.api.issuing import CommandIssuer, Issued
from services.router.domain.commands import refusal
from services.router.links import LINK_ACTIONS, VIEW, LinkCheck, check_link, link_path
from services.router.projection.model import IncidentView
from shared.events.commands import CommandName

_DONE = {"acknowledge": "Acknowledged", "resolve": "Resolved"}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "GET: confirmation form, or the incident page (view); POST: done",
        "content": {"text/html": {}},
    },
    202: {"description": "POST: on the log, not decided yet"},
    403: {"description": "the signature does not match: the link was altered"},
    404: {"description": f"{UNKNOWN_INCIDENT}; or no such action"},
    409: {"description": "not possible in the incident's state"},
    410: {"description": "the link has expired"},
    503: {"description": "read model rebuilding or log unavailable; retry"},
}
_LINK_PARAMETERS = {
    "parameters": [
        {
            "name": name,
            "in": "query",
            "required": required,
            "description": text,
            "schema": {"type": "string"},
        }
        for name, required, text in (
            ("e", True, "expiry, Unix seconds"),
            ("s", True, "HMAC-SHA256 signature"),
            ("r", False, "the recipient, when the link names one"),
        )
    ]
}


def link_routes(issuer: CommandIssuer, secret: bytes, clock: Callable[[], datetime]) -> APIRouter:
    links = _Links(issuer, secret, clock)
    router = APIRouter(tags=["one-click links"])
    path = "/api/v1/incidents/{incident_id}/{action}/link"
    common: dict[str, Any] = {"responses": _RESPONSES, "openapi_extra": _LINK_PARAMETERS}
    router.add_api_route(
        path, links.confirm, methods=["GET"], summary="Confirmation page of a link", **common
    )
    # Mail gateways and chat previews probe links with HEAD: answered as GET, acting on nothing.
    router.add_api_route(path, links.confirm, methods=["HEAD"], include_in_schema=False)
    router.add_api_route(path, links.act, methods=["POST"], summary="Act on a link", **common)
    return router


class _Links:
    def __init__(self, issuer: CommandIssuer, secret: bytes, clock: Callable[[], datetime]) -> None:
        self._issuer = issuer
        self._secret = secret
        self._clock = clock

    async def confirm(self, incident_id: str, action: str, request: Request) -> HTMLResponse:
        admitted = await self._admit(incident_id, action, request, (*LINK_ACTIONS, VIEW))
        if isinstance(admitted, HTMLResponse):
            return admitted
        if action == VIEW:
            query = request.query_params
            expires, recipient = int(query["e"]), query.get("r", "")

            def signed(command: str) -> str:
                return link_path(self._secret, incident_id, command, expires, recipient)

            return incident_page(admitted, signed)
        refused = refusal(_command(action), admitted.status, admitted.acknowledged_by)
        if refused is not None:
            return link_pages.outcome(admitted, "Nothing to do", refused, 409)
        target = f"{request.url.path}?{request.url.query}"
        return link_pages.confirmation(admitted, action, target)

    async def act(self, incident_id: str, action: str, request: Request) -> HTMLResponse:
        admitted = await self._admit(incident_id, action, request, LINK_ACTIONS)
        if isinstance(admitted, HTMLResponse):
            return admitted
        recipient = request.query_params.get("r", "")
        actor = f"{recipient} (link)" if recipient else "one-click link"
        done = await self._issuer.issue(incident_id, _command(action), actor, {})
        if done.status == 200:
            return link_pages.outcome(done.view, _DONE[action], "Thank you.", 200)
        if done.status == 202:
            detail = "The request is recorded; it will apply in a moment."
            return link_pages.outcome(done.view, "Requested", detail, 202)
        return link_pages.outcome(done.view, _headline(done.status), done.message, done.status)

    async def _admit(
        self, incident_id: str, action: str, request: Request, actions: tuple[str, ...]
    ) -> IncidentView | HTMLResponse:
        if action not in actions:
            return link_pages.outcome(None, "Not found", "No such action.", 404)
        query = request.query_params
        checked = check_link(
            self._secret,
            incident_id,
            action,
            query.get("e", ""),
            query.get("s", ""),
            self._clock(),
            query.get("r", ""),
        )
        if checked is LinkCheck.FORGED:
            detail = (
                "This link is not valid: it was altered or cut short. Open it again from the page."
            )
            return link_pages.outcome(None, "Invalid link", detail, 403)
        if checked is LinkCheck.EXPIRED:
            detail = "This link has expired; use the API or a newer page."
            return link_pages.outcome(None, "Link expired", detail, 410)
        found = await self._issuer.find(incident_id)
        if isinstance(found, Issued):
            return link_pages.outcome(None, _headline(found.status), found.message, found.status)
        return found


def _headline(status: int) -> str:
    """Read first by someone under stress: a failure must not look like a done deed."""
    if status == 409:
        return "Nothing to do"
    if status == 404:
        return "Incident not found"
    return "Not done — try again"


def _command(action: str) -> CommandName:
    return "acknowledge" if action == "acknowledge" else "resolve"
