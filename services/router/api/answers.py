"""The API's answers: one JSON shape for errors, one mapping from command outcomes."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect

from services.router.api.issuing import Issued
from services.router.api.views import summary_json
from shared.api_errors import error

# The OpenAPI description of a 404 on an incident.
UNKNOWN_INCIDENT = "no such incident, or resolved longer ago than the incident history"

M = TypeVar("M", bound=BaseModel)
# A command body is a few fields (a note is at most 10,000 characters, 120 KB at worst as JSON
# escapes); the limit leaves room for that and refuses more before reading it.
MAX_BODY_BYTES = 512 * 1024


def unauthorized() -> JSONResponse:
    return error(401, "a valid bearer token of a user or service account is required")


def invalid(errors: list[dict[str, str]]) -> JSONResponse:
    return error(422, "the request is invalid", errors=errors)


def validation_errors(failure: ValidationError) -> list[dict[str, str]]:
    return [
        {"field": ".".join(str(part) for part in e["loc"]) or "(body)", "message": e["msg"]}
        for e in failure.errors()
    ]


async def parse_body(request: Request, model: type[M], context: Any = None) -> M | JSONResponse:
    """The body as `model`, or the error answer: 413 beyond the limit, 400 if not JSON (as
    ingest answers), 422 naming each invalid field."""
    raw = await _read_limited(request)
    if isinstance(raw, JSONResponse):
        return raw
    try:
        text = raw.decode("utf-8")
        data = json.loads(text) if text.strip() else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _not_json("the body is not JSON")
    except RecursionError:
        return _not_json("the body is JSON nested too deeply")
    except ValueError:  # Python reads integers of at most 4,300 digits
        return _not_json("the body holds a number too long to read")
    if not isinstance(data, dict):
        return invalid([{"field": "(body)", "message": "the body must be a JSON object"}])
    try:
        return model.model_validate(data, context=context)
    except ValidationError as failure:
        return invalid(validation_errors(failure))


async def _read_limited(request: Request) -> bytes | JSONResponse:
    """The raw body, read no further than `MAX_BODY_BYTES`."""
    too_large = error(413, f"the body exceeds {MAX_BODY_BYTES} bytes")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return too_large
    raw = bytearray()
    try:
        async for chunk in request.stream():
            raw.extend(chunk)
            if len(raw) > MAX_BODY_BYTES:
                return too_large
    except ClientDisconnect:  # the client is gone: this answer is for the access log only
        return error(400, "the client disconnected before sending the whole body")
    return bytes(raw)


def _not_json(message: str) -> JSONResponse:
    return error(400, message, errors=[{"field": "(body)", "message": message}])


def issued(outcome: Issued) -> JSONResponse:
    incident = summary_json(outcome.view) if outcome.view is not None else None
    if outcome.status == 200:
        body = {"status": "applied", "command_id": outcome.command_id, "incident": incident}
        return JSONResponse(body)
    if outcome.status == 202:
        body = {"status": "pending", "command_id": outcome.command_id, "message": outcome.message}
        return JSONResponse(body, status_code=202)
    if outcome.status == 409:
        return error(409, outcome.message, command_id=outcome.command_id, incident=incident)
    return error(outcome.status, outcome.message)
