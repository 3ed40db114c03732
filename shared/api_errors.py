"""The JSON error answer of Tocsin's own APIs (incidents, silences, rule reload): one shape,
`{"status": "error", "message": ..., **extra}`, with the headers its status calls for.
The ingest endpoints answer in each sender's own shape instead (`services/ingest/answers.py`)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

RETRY_AFTER_S = 1  # a 503 here is a read model rebuilding or the log briefly away


def error(status: int, message: str, **extra: Any) -> JSONResponse:
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if status == 503:
        headers["Retry-After"] = str(RETRY_AFTER_S)
    body = {"status": "error", "message": message, **extra}
    return JSONResponse(body, status_code=status, headers=headers)
