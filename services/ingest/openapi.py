"""OpenAPI documentation of the ingest endpoints, written out because FastAPI parses nothing.

Handlers read the raw request themselves (size limit first, then JSON, then the source's own
validation; see `raw_route.py`), so their body, credential, path and query parameters are
documented here, each body with a real-shaped example, each answer with its meaning.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Responses = dict[int | str, dict[str, Any]]

_MEANING = {
    400: "malformed JSON (PagerDuty: any invalid event); the error names the field",
    401: "missing or unknown credential",
    403: "the credential's integration is disabled, or belongs to another heartbeat",
    404: "no such heartbeat",
    413: "the body is larger than `max_body_bytes` (once decompressed, when sent with "
    "`Content-Encoding: gzip` or `deflate`)",
    415: "the body's `Content-Encoding` is neither gzip, deflate nor identity",
    422: "invalid payload: every problem named by its JSON path",
    429: "the integration's `rate_limit` is exceeded: nothing was stored, retry after "
    "`Retry-After` seconds (when the request's alerts fit)",
    503: "the event log did not confirm the write: retry after `Retry-After` seconds",
}
# Alertmanager and Grafana are refused by the rate limit with 503 (Alertmanager never
# retries a 4xx), and a batch larger than its burst with 422.
THROTTLED_BY_503 = {
    422: _MEANING[422] + "; or more alerts than the burst of the integration's `rate_limit`",
    503: "the event log did not confirm the write, or the integration's `rate_limit` is "
    "exceeded (nothing was stored): retry after `Retry-After` seconds",
}
# A batch larger than the burst is refused with 422 naming the list.
BATCH_OVER_BURST = {422: THROTTLED_BY_503[422]}


def operation(
    example: Any,
    *,
    credential: str | None,
    body_required: bool = True,
    body_schema: Mapping[str, Any] | None = None,
    path: Sequence[tuple[str, str]] = (),
    query: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """`openapi_extra` of one endpoint: its body with `example`, and its parameters.

    `credential` describes the `Authorization` header; None when the credential travels in
    the body (PagerDuty's `routing_key`).
    """
    schema = dict(body_schema or ({"type": "object"} if isinstance(example, dict) else {}))
    parameters = [_parameter("path", name, text, required=True) for name, text in path]
    parameters += [_parameter("query", name, text, required=False) for name, text in query]
    if credential is not None:
        parameters.append(_parameter("header", "Authorization", credential, required=False))
    return {
        "parameters": parameters,
        "requestBody": {
            "required": body_required,
            "content": {"application/json": {"schema": schema, "example": example}},
        },
    }


def any_body(extra: dict[str, Any]) -> dict[str, Any]:
    """`extra` (from `operation`) for a handler that ignores its body: not required, and any
    JSON is admitted (the empty schema), as the handler accepts."""
    body = extra["requestBody"]
    content = {media: {**spec, "schema": {}} for media, spec in body["content"].items()}
    return {**extra, "requestBody": {**body, "required": False, "content": content}}


def responses(
    accepted: dict[str, Any],
    invalid: tuple[int, dict[str, Any]] | None,
    statuses: tuple[int, ...],
    meanings: Mapping[int, str] | None = None,
) -> Responses:
    """202 with `accepted` as its example; the validation status (if any) shows the `invalid`
    example, each other error status its meaning (from `meanings` first)."""
    meaning = {**_MEANING, **(meanings or {})}
    documented: Responses = {202: _json("stored durably on the event log", accepted)}
    for status in statuses:
        documented[status] = {"description": meaning[status]}
    if invalid is not None:
        invalid_status, invalid_example = invalid
        documented[invalid_status] = _json(meaning[invalid_status], invalid_example)
    return documented


def _parameter(where: str, name: str, description: str, *, required: bool) -> dict[str, Any]:
    return {
        "in": where,
        "name": name,
        "required": required,
        "description": description,
        "schema": {"type": "string"},
    }


def _json(description: str, example: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"example": example}}}
