"""Error answers in each source's own shape: what its clients parse and show to people.

Every answer names the offending field where there is one; 503 and 429 (rate limit) carry
`Retry-After`. Credentials are never part of an answer.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from fastapi import Response
from fastapi.responses import JSONResponse

from services.ingest.intake import RETRY_AFTER_S, Rejection
from services.ingest.normalizers.errors import InvalidPayload
from services.ingest.normalizers.opsgenie import opsgenie_error_body
from services.ingest.normalizers.pagerduty import pagerduty_error_body

# PagerDuty's `status` word per HTTP status (400 is PagerDuty's documented "invalid event";
# 429 is how PagerDuty refuses a routing key sending too fast).
_PAGERDUTY_STATUS = {
    400: "invalid event",
    401: "unauthorized",
    403: "forbidden",
    413: "request too large",
    415: "unsupported media type",
    429: "throttle event",
    503: "unavailable",
}


def accepted(body: dict[str, Any]) -> Response:
    """202 with `body`: what `JSONResponse(body, 202)` writes (compact JSON, UTF-8), in one
    `orjson.dumps` rather than the standard library's encoder. Every accepted alert batch
    is answered so."""
    return Response(orjson.dumps(body), 202, media_type="application/json")


def _response(rejection: Rejection, body: dict[str, Any], scheme: str = "Bearer") -> JSONResponse:
    """`scheme`: how the source presents its credential, named in a 401's `WWW-Authenticate`
    (RFC 9110 requires the header): `Bearer`, Opsgenie's `GenieKey`, PagerDuty's body field."""
    retry_after = rejection.retry_after_s
    if retry_after is None and rejection.status == 503:
        retry_after = RETRY_AFTER_S
    headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
    if rejection.status == 401:
        headers["WWW-Authenticate"] = f'{scheme} realm="tocsin"'
    return JSONResponse(body, status_code=rejection.status, headers=headers or None)


def tocsin_error(rejection: Rejection) -> JSONResponse:
    """`{"status": "error", "message": ..., "errors": [{"field", "message"}]}`."""
    body: dict[str, Any] = {"status": "error", "message": rejection.message}
    if rejection.errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in rejection.errors]
    return _response(rejection, body)


def pagerduty_error(rejection: Rejection) -> JSONResponse:
    """PagerDuty's shape: `{"status", "message", "errors": ["'<field>' <message>"]}`."""
    if rejection.status == 400 and rejection.errors:
        return _response(rejection, pagerduty_error_body(InvalidPayload(list(rejection.errors))))
    errors = [f"'{e.field}' {e.message}" for e in rejection.errors] or [rejection.message]
    status = _PAGERDUTY_STATUS.get(rejection.status, "error")
    body = {"status": status, "message": rejection.message, "errors": errors}
    return _response(rejection, body, "RoutingKey")


def opsgenie_error(rejection: Rejection) -> JSONResponse:
    """Opsgenie's shape: `{"message", "took", "requestId"}`, plus `errors` by field for 422."""
    request_id = str(uuid.uuid4())
    if rejection.errors:
        body = opsgenie_error_body(InvalidPayload(list(rejection.errors)), request_id)
        if rejection.status != 422:
            body["message"] = rejection.message
        return _response(rejection, body, "GenieKey")
    body = {"message": rejection.message, "took": 0.0, "requestId": request_id}
    return _response(rejection, body, "GenieKey")
