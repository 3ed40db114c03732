"""POST /api/v1/incidents/{id}/acknowledge|resolve|snooze|reassign|notes|commander."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from services.router.api.answers import UNKNOWN_INCIDENT, invalid, issued, parse_body, unauthorized
from services.router.api.auth import TokenAuth
from services.router.api.issuing import CommandIssuer, Issued
from services.router.api.times import duration_value
from shared.events.commands import CommandName

Authorization = Annotated[str | None, Header(description="`Bearer <user or service token>`")]
MAX_IDEMPOTENCY_KEY = 200
# Its length is checked in the handler, after the credential: FastAPI's own check would answer
# a caller without one 422 instead of 401, and in its shape instead of Tocsin's.
IdempotencyKey = Annotated[
    str | None,
    Header(
        description="retrying with the same key issues the command once",
        json_schema_extra={"maxLength": MAX_IDEMPOTENCY_KEY},
    ),
]
MAX_SNOOZE = timedelta(days=7)


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def command_fields(self) -> dict[str, Any]:
        return {}


class NoFields(_Body):
    """The command takes no fields: no body, or `{}`; anything else is refused."""


class SnoozeBody(_Body):
    duration: timedelta = Field(
        description='"30s", "15m", "1h30m", "1d", or a whole number of seconds; 1s to 7d',
        json_schema_extra={"examples": ["30m"]},
    )

    _parse = field_validator("duration", mode="before")(duration_value)

    @field_validator("duration")
    @classmethod
    def _sensible(cls, duration: timedelta) -> timedelta:
        if not timedelta(seconds=1) <= duration <= MAX_SNOOZE:
            raise ValueError("a snooze lasts from 1s to 7d")
        if duration % timedelta(seconds=1):
            raise ValueError("a snooze lasts a whole number of seconds")
        return duration

    def command_fields(self) -> dict[str, Any]:
        return {"duration_s": int(self.duration.total_seconds())}


class _UserBody(_Body):
    user: str = Field(description="a user of the config")

    @field_validator("user")
    @classmethod
    def _known(cls, user: str, info: ValidationInfo) -> str:
        if user not in (info.context or {}).get("users", ()):
            raise ValueError(f"no user named {user!r} in the config")
        return user


class ReassignBody(_UserBody):
    def command_fields(self) -> dict[str, Any]:
        return {"assignee": self.user}


class CommanderBody(_UserBody):
    def command_fields(self) -> dict[str, Any]:
        return {"commander": self.user}


class NoteBody(_Body):
    text: str = Field(min_length=1, max_length=10_000)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("a note needs some text")
        return text.strip()

    def command_fields(self) -> dict[str, Any]:
        return {"text": self.text}


# (path suffix, command, body model, summary)
_ROUTES: tuple[tuple[str, CommandName, type[_Body], str], ...] = (
    ("acknowledge", "acknowledge", NoFields, "Acknowledge: stop escalating"),
    ("resolve", "resolve", NoFields, "Resolve the incident"),
    ("snooze", "snooze", SnoozeBody, "Snooze: no pages until it ends, then escalate again"),
    ("reassign", "reassign", ReassignBody, "Reassign to a user, who is paged at once"),
    ("notes", "note", NoteBody, "Add a note to the timeline"),
    ("commander", "commander", CommanderBody, "Name the incident commander"),
)
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "applied by the router; `incident` is its state now"},
    202: {"description": "on the log, not decided yet; follow `command_id` in the timeline"},
    400: {"description": "the body is not JSON (or not UTF-8)"},
    401: {"description": "missing or unknown bearer token"},
    404: {"description": UNKNOWN_INCIDENT},
    409: {"description": "not possible in the incident's state (e.g. already resolved)"},
    413: {"description": "the body is larger than the API reads"},
    422: {"description": "invalid body or `Idempotency-Key`; `errors` names each field"},
    503: {"description": "read model rebuilding or log unavailable; retry"},
}


def command_routes(
    issuer: CommandIssuer, auth: TokenAuth, users: Callable[[], frozenset[str]]
) -> APIRouter:
    """`users`: the names of the active config's users (reassign and commander name one)."""
    router = APIRouter(tags=["incidents"])
    for suffix, name, body, summary in _ROUTES:
        router.add_api_route(
            f"/api/v1/incidents/{{incident_id}}/{suffix}",
            _endpoint(issuer, auth, users, name, body),
            methods=["POST"],
            summary=summary,
            responses=_RESPONSES,
            openapi_extra=_body_schema(body),
            name=f"incident_{suffix}",
        )
    return router


def _endpoint(
    issuer: CommandIssuer,
    auth: TokenAuth,
    users: Callable[[], frozenset[str]],
    name: CommandName,
    body: type[_Body],
) -> Any:
    async def command(
        incident_id: str,
        request: Request,
        authorization: Authorization = None,
        idempotency_key: IdempotencyKey = None,
    ) -> JSONResponse:
        principal = auth.authenticate(authorization)
        if principal is None:
            return unauthorized()
        if idempotency_key is not None and len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
            message = f"must be at most {MAX_IDEMPOTENCY_KEY} characters"
            return invalid([{"field": "Idempotency-Key", "message": message}])
        found = await issuer.find(incident_id)
        if isinstance(found, Issued):
            return issued(found)
        parsed = await parse_body(request, body, {"users": users()})
        if isinstance(parsed, JSONResponse):
            return parsed
        fields = parsed.command_fields()
        outcome = await issuer.issue(incident_id, name, principal.actor, fields, idempotency_key)
        return issued(outcome)

    return command


def _body_schema(body: type[_Body]) -> dict[str, Any]:
    schema = body.model_json_schema()
    content = {"application/json": {"schema": schema}}
    return {"requestBody": {"required": bool(body.model_fields), "content": content}}
