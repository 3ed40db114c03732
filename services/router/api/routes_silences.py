"""POST/GET /api/v1/silences, GET/DELETE /api/v1/silences/{id}: maintenance windows made
through the API, with Alertmanager 0.25's create-time rules, beside the config's silences."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from services.router.api.answers import invalid, parse_body, unauthorized
from services.router.api.auth import TokenAuth
from services.router.api.routes_commands import MAX_IDEMPOTENCY_KEY, IdempotencyKey
from services.router.api.silence_issuing import NewSilence, NotWritten, SilenceIssuer
from services.router.api.times import DateTimeText, duration_value
from services.router.domain.silences import Silence, silence_state
from services.router.projection.silences import SilenceView, view_state
from shared.api_errors import error

Authorization = Annotated[str | None, Header(description="`Bearer <user or service token>`")]
MAX_MATCHERS = 32
MAX_SILENCE = timedelta(days=365)


class SilenceBody(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    matchers: list[str] = Field(
        min_length=1,
        max_length=MAX_MATCHERS,
        description="Alertmanager matchers, one per item; at least one must not match ''",
        json_schema_extra={"examples": [['service="billing"', 'env!="staging"']]},
    )
    starts_at: DateTimeText | None = Field(default=None, description="default (and at least): now")
    ends_at: DateTimeText | None = Field(default=None, description="give this or `duration`")
    duration: timedelta | None = Field(
        default=None,
        description='from the start: "90m", "2h", "1d", or seconds',
        json_schema_extra={"examples": ["2h"]},
    )
    comment: str = Field(min_length=1, max_length=1000)

    _parse = field_validator("duration", mode="before")(duration_value)


_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "the body is not JSON (or not UTF-8)"},
    401: {"description": "missing or unknown bearer token"},
    413: {"description": "the body is larger than the API reads"},
    422: {"description": "invalid silence; `errors` names each field"},
    503: {"description": "read model rebuilding or log unavailable; retry"},
}


def silence_routes(
    issuer: SilenceIssuer, auth: TokenAuth, configured: Callable[[], Sequence[Silence]]
) -> APIRouter:
    """`configured`: the active config file's silences, listed as `config-1`... beside the
    API's."""
    routes = _Silences(issuer, auth, configured)
    router = APIRouter(tags=["silences"])
    schema = SilenceBody.model_json_schema()
    body = {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}
    router.add_api_route(
        "/api/v1/silences",
        routes.create,
        methods=["POST"],
        status_code=201,
        summary="Create a silence: matching alerts page no one from its start to its end",
        responses={201: {"description": "created; `silence` as it is now"}, **_RESPONSES},
        openapi_extra=body,
    )
    router.add_api_route(
        "/api/v1/silences",
        routes.list_all,
        methods=["GET"],
        summary="Silences of the API and of the config file, with their state now",
        responses={k: v for k, v in _RESPONSES.items() if k in (401, 503)},
    )
    router.add_api_route(
        "/api/v1/silences/{silence_id}",
        routes.get_one,
        methods=["GET"],
        summary="One silence",
        responses={**_RESPONSES, 404: {"description": "no such silence"}},
    )
    router.add_api_route(
        "/api/v1/silences/{silence_id}",
        routes.expire,
        methods=["DELETE"],
        summary="Expire a silence now: what it held pages at once unless another holds it",
        responses={
            **_RESPONSES,
            404: {"description": "no such silence"},
            409: {"description": "already expired, or one of the config file's"},
        },
    )
    return router


class _Silences:
    def __init__(
        self, issuer: SilenceIssuer, auth: TokenAuth, configured: Callable[[], Sequence[Silence]]
    ) -> None:
        self._issuer = issuer
        self._auth = auth
        self._configured_now = configured

    @property
    def _configured(self) -> dict[str, Silence]:
        """The active config's silences by id (a reload may have changed them)."""
        return {f"config-{n}": s for n, s in enumerate(self._configured_now(), start=1)}

    async def create(
        self,
        request: Request,
        authorization: Authorization = None,
        idempotency_key: IdempotencyKey = None,
    ) -> JSONResponse:
        principal = self._auth.authenticate(authorization)
        if principal is None:
            return unauthorized()
        if idempotency_key is not None and len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
            message = f"must be at most {MAX_IDEMPOTENCY_KEY} characters"
            return invalid([{"field": "Idempotency-Key", "message": message}])
        parsed = await parse_body(request, SilenceBody)
        if isinstance(parsed, JSONResponse):
            return parsed
        checked = _checked(parsed, principal.actor, self._issuer.now())
        if isinstance(checked, JSONResponse):
            return checked
        try:
            silence_id, view = await self._issuer.create(
                checked, principal.actor, idempotency_key, parsed.model_dump_json()
            )
        except NotWritten as failed:
            return error(503, str(failed))
        shown = _json(view, self._issuer.now()) if view is not None else None
        return JSONResponse({"silence_id": silence_id, "silence": shown}, status_code=201)

    async def list_all(self, authorization: Authorization = None) -> JSONResponse:
        if self._auth.authenticate(authorization) is None:
            return unauthorized()
        if not self._issuer.tailer.ready.is_set():
            return error(503, "the read model is being rebuilt from the log; retry shortly")
        now = self._issuer.now()
        made = (await self._issuer.tailer.current()).silences.values()
        listed = [_json(view, now) for view in made]
        listed += [_config_json(i, silence, now) for i, silence in self._configured.items()]
        return JSONResponse({"silences": listed})

    async def get_one(self, silence_id: str, authorization: Authorization = None) -> JSONResponse:
        if self._auth.authenticate(authorization) is None:
            return unauthorized()
        found = await self._find(silence_id)
        if isinstance(found, JSONResponse):
            return found
        now = self._issuer.now()
        if isinstance(found, Silence):
            return JSONResponse(_config_json(silence_id, found, now))
        return JSONResponse(_json(found, now))

    async def expire(self, silence_id: str, authorization: Authorization = None) -> JSONResponse:
        principal = self._auth.authenticate(authorization)
        if principal is None:
            return unauthorized()
        found = await self._find(silence_id)
        if isinstance(found, JSONResponse):
            return found
        if isinstance(found, Silence):
            return error(409, f"{silence_id} is in the config file: change it there")
        now = self._issuer.now()
        if found.expired_at is not None or found.ends_at < now:
            return error(409, f"{silence_id} has already expired")
        try:
            view = await self._issuer.expire(silence_id, principal.actor)
        except NotWritten as failed:
            return error(503, str(failed))
        return JSONResponse({"silence_id": silence_id, "silence": _json(view or found, now)})

    async def _find(self, silence_id: str) -> SilenceView | Silence | JSONResponse:
        if silence_id in self._configured:
            return self._configured[silence_id]
        if not self._issuer.tailer.ready.is_set():
            return error(503, "the read model is being rebuilt from the log; retry shortly")
        view = (await self._issuer.tailer.current()).silences.get(silence_id)
        return view if view is not None else error(404, f"no silence {silence_id}")


def _checked(body: SilenceBody, actor: str, now: datetime) -> NewSilence | JSONResponse:
    """Alertmanager's create-time rules: a start in the past is now, the end must be after the
    start and not in the past; the matchers as a silence takes them."""
    if (body.ends_at is None) == (body.duration is None):
        return invalid([{"field": "ends_at", "message": "give either ends_at or duration"}])
    if body.duration is not None and body.duration > MAX_SILENCE:
        return invalid([{"field": "duration", "message": "a silence lasts at most 365 days"}])
    if body.duration is not None and body.duration <= timedelta(0):
        return invalid([{"field": "duration", "message": "must be longer than 0"}])
    starts_at = max(body.starts_at or now, now)
    if starts_at - now > MAX_SILENCE:  # and so no time near the end of the calendar
        return invalid([{"field": "starts_at", "message": "must be at most 365 days ahead"}])
    ends_at = body.ends_at or starts_at + (body.duration or timedelta(0))
    if ends_at <= now:
        return invalid([{"field": "ends_at", "message": "must not be in the past"}])
    if ends_at <= starts_at:
        return invalid([{"field": "ends_at", "message": "must be after starts_at"}])
    if ends_at - starts_at > MAX_SILENCE:
        return invalid([{"field": "ends_at", "message": "a silence lasts at most 365 days"}])
    fields = {"matchers": body.matchers, "starts_at": starts_at, "ends_at": ends_at}
    try:
        Silence.model_validate({**fields, "created_by": actor, "comment": body.comment})
    except ValidationError as failure:
        return invalid(
            [
                {"field": ".".join(map(str, e["loc"])) or "matchers", "message": e["msg"]}
                for e in failure.errors()
            ]
        )
    return NewSilence(body.matchers, starts_at, ends_at, body.comment)


def _json(view: SilenceView, now: datetime) -> dict[str, Any]:
    return {
        "id": view.silence_id,
        "source": "api",
        "matchers": view.matchers,
        "starts_at": view.starts_at.isoformat(),
        "ends_at": view.ends_at.isoformat(),
        "created_by": view.created_by,
        "comment": view.comment,
        "created_at": view.created_at.isoformat(),
        "state": view_state(view, now),
        "expired_by": view.expired_by,
    }


def _config_json(silence_id: str, silence: Silence, now: datetime) -> dict[str, Any]:
    return {
        "id": silence_id,
        "source": "config",
        "matchers": [str(matcher) for matcher in silence.matchers],
        "starts_at": silence.starts_at.isoformat(),
        "ends_at": silence.ends_at.isoformat(),
        "created_by": silence.created_by,
        "comment": silence.comment,
        "created_at": None,
        "state": silence_state(silence, now),
        "expired_by": None,
    }
