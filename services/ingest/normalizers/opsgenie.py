"""Opsgenie Alert API v2 (create, close, acknowledge) -> canonical results.

Create (`POST /v2/alerts`), with Opsgenie's documented limits (longer is rejected, not cut):
`message` required (130), `alias` (512; Opsgenie gives an alert created without one a unique
alias; Tocsin gives it the first 40 hex digits of sha256 of the body as posted, compact JSON
with sorted keys: a sender's retry of the same request dedups, and creates that differ in
anything, an `entity` or a detail, are alerts of their own), `description` (15000), `tags`
(20 of 50), `details` (object of strings), `entity` (512), `source` (100), `priority` P1..P5
(default P3), `user` (100), `note` (25000); `responders`, `visibleTo` and `actions` are
accepted and unused.
Labels: alertname=message, alias, priority, entity, source. Annotations: details (one per key),
then description, tags (comma-separated), user, note. Severity: P1 critical, P2 error,
P3 warning, P4 and P5 info.

Close and acknowledge (`POST /v2/alerts/{identifier}/close|acknowledge?identifierType=`):
identifierType `alias` or `id` (Opsgenie's default, `id`, when absent; `tiny` is unsupported).
An alias maps to the fingerprint its create got; an id *is* a Tocsin fingerprint. Optional body:
user, source, note.

Fingerprint: sha256("opsgenie\\0<integration>\\0<alias>"), first 32 hex digits. `requestId`:
uuid5 over integration, received_at, identifier and body; deterministic, so this stays pure.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.ingest.normalizers.assemble import assemble_all
from services.ingest.normalizers.canonical_fields import FINGERPRINT, AlertDraft
from services.ingest.normalizers.context import NormalizeContext
from services.ingest.normalizers.errors import (
    ROOT,
    InvalidPayload,
    Problems,
    compact_json,
    field_path,
)
from services.ingest.normalizers.limits import (
    check_annotation,
    check_annotation_count,
    check_label_value,
    read_string_map,
)
from shared.alerts import Alert, Severity

PRIORITY_SEVERITY: Mapping[str, Severity] = {
    "P1": Severity.CRITICAL,
    "P2": Severity.ERROR,
    "P3": Severity.WARNING,
    "P4": Severity.INFO,
    "P5": Severity.INFO,
}
_REQUEST_NAMESPACE = uuid.UUID("6f1c2a52-8d0e-4b7a-9c53-0a4e7d7f1b11")
_MAX_TAGS = 20
_MAX_TAG = 50
# Opsgenie's documented field limits.
_MAX = {"message": 130, "alias": 512, "description": 15000, "entity": 512, "source": 100}
_MAX_ACTOR = {"user": 100, "source": 100, "note": 25000}


@dataclass(frozen=True, slots=True)
class OpsgenieCreated:
    alias: str
    alert: Alert
    request_id: str


@dataclass(frozen=True, slots=True)
class OpsgenieClosed:
    """The alert is over: `alert` is resolved, with the fingerprint its create got."""

    alert: Alert
    request_id: str
    user: str | None
    source: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class OpsgenieAcknowledged:
    """Someone is on it: no alert changes, but the incident it belongs to may record it."""

    fingerprint: str
    integration: str
    received_at: datetime
    request_id: str
    user: str | None
    source: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class _Action:
    fingerprint: str
    alias: str | None
    user: str | None
    source: str | None
    note: str | None


def normalize_opsgenie_create(body: Any, ctx: NormalizeContext) -> OpsgenieCreated:
    """A create-alert request -> the alert, or `InvalidPayload`."""
    problems = Problems()
    obj = problems.body_object(body)
    message = problems.text(obj, "message", ROOT, required=True, max_length=_MAX["message"])
    alias = problems.text(obj, "alias", ROOT, max_length=_MAX["alias"])
    alias = alias if alias and alias.strip() else default_alias(obj)
    priority = problems.choice(obj, "priority", ROOT, tuple(PRIORITY_SEVERITY), required=False)
    labels = {
        "alertname": message,
        "alias": alias,
        "priority": priority or "P3",
        "entity": problems.text(obj, "entity", ROOT, max_length=_MAX["entity"]),
        "source": problems.text(obj, "source", ROOT, max_length=_MAX["source"]),
    }
    for name, value in labels.items():
        if value is not None:
            check_label_value(
                value, "message" if name == "alertname" else name, ctx.limits, problems
            )
    annotations = _create_annotations(obj, ctx, problems)
    problems.raise_if_any()
    draft = AlertDraft(
        labels={name: value for name, value in labels.items() if value},
        annotations=annotations,
        status="firing",
        fingerprint=opsgenie_fingerprint(ctx.integration, alias),
        summary=message,
        severity=PRIORITY_SEVERITY[priority or "P3"],
    )
    (alert,) = assemble_all([draft], ctx)
    return OpsgenieCreated(alias, alert, opsgenie_request_id(ctx, body))


def normalize_opsgenie_close(
    body: Any, identifier: str, identifier_type: str | None, ctx: NormalizeContext
) -> OpsgenieClosed:
    """A close request -> a resolved alert, or `InvalidPayload`."""
    action = _read_action(body, identifier, identifier_type, ctx)
    labels = {"alias": action.alias} if action.alias else {}
    draft = AlertDraft(
        labels=labels, annotations={}, status="resolved", fingerprint=action.fingerprint
    )
    (alert,) = assemble_all([draft], ctx)
    request_id = opsgenie_request_id(ctx, body, identifier)
    return OpsgenieClosed(alert, request_id, action.user, action.source, action.note)


def normalize_opsgenie_acknowledge(
    body: Any, identifier: str, identifier_type: str | None, ctx: NormalizeContext
) -> OpsgenieAcknowledged:
    """An acknowledge request -> `OpsgenieAcknowledged`, or `InvalidPayload`."""
    action = _read_action(body, identifier, identifier_type, ctx)
    return OpsgenieAcknowledged(
        fingerprint=action.fingerprint,
        integration=ctx.integration,
        received_at=ctx.received_at,
        request_id=opsgenie_request_id(ctx, body, identifier),
        user=action.user,
        source=action.source,
        note=action.note,
    )


def opsgenie_fingerprint(integration: str, alias: str) -> str:
    """The alert fingerprint for an alias of an integration (32 hex digits)."""
    return hashlib.sha256(f"opsgenie\0{integration}\0{alias}".encode()).hexdigest()[:32]


def default_alias(body: Mapping[str, Any]) -> str:
    """The alias of an alert created without one: a hash of its body as posted (and stored, so
    a replay derives the same), where Opsgenie would invent a unique one."""
    text = compact_json(body, ascii_only=True) or ascii(sorted(body))
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def opsgenie_request_id(ctx: NormalizeContext, body: Any, identifier: str = "") -> str:
    """A request id for Opsgenie's responses, the same for the same request at the same time."""
    request = compact_json([identifier, body], ascii_only=True) or ascii(identifier)
    name = f"{ctx.integration!a}\0{ctx.received_at.isoformat()}\0{request}"
    return str(uuid.uuid5(_REQUEST_NAMESPACE, name))


def opsgenie_accepted_body(request_id: str) -> dict[str, Any]:
    """Opsgenie's 202 body."""
    return {"result": "Request will be processed", "took": 0.0, "requestId": request_id}


def opsgenie_error_body(error: InvalidPayload, request_id: str) -> dict[str, Any]:
    """Opsgenie's 422 body; `errors` maps each field to its messages, as Opsgenie does."""
    errors: dict[str, str] = {}
    for item in error.errors:
        earlier = errors.get(item.field)
        errors[item.field] = item.message if earlier is None else f"{earlier}; {item.message}"
    message = "Request body is not processable. Please check the errors."
    return {"message": message, "errors": errors, "took": 0.0, "requestId": request_id}


def _create_annotations(
    obj: dict[str, Any], ctx: NormalizeContext, problems: Problems
) -> dict[str, str]:
    annotations = read_string_map(obj.get("details"), "details", problems)
    for name, text in annotations.items():
        check_annotation(name, text, field_path("details", name), ctx.limits, problems)
    check_annotation_count(annotations, "details", ctx.limits, problems)
    own = {
        "description": problems.text(obj, "description", ROOT, max_length=_MAX["description"]),
        "tags": _tags(obj, problems),
        **_actor(obj, problems),
    }
    for name, value in own.items():
        if value and check_annotation(name, value, name, ctx.limits, problems):
            annotations[name] = value
    return annotations


def _tags(obj: dict[str, Any], problems: Problems) -> str | None:
    if obj.get("tags") is None:
        return None
    tags = problems.array(obj["tags"], "tags", _MAX_TAGS) or []
    for index, tag in enumerate(tags):
        if not isinstance(tag, str):
            problems.add(field_path("tags", index), "must be a string")
        elif len(tag) > _MAX_TAG:
            problems.add(field_path("tags", index), f"must be at most {_MAX_TAG} characters")
    return ",".join(tag for tag in tags if isinstance(tag, str) and tag)


def _actor(obj: dict[str, Any], problems: Problems) -> dict[str, str | None]:
    """`user` and `note`, which create, close and acknowledge requests all may carry."""
    keys = ("user", "note")
    return {key: problems.text(obj, key, ROOT, max_length=_MAX_ACTOR[key]) for key in keys}


def _read_action(
    body: Any, identifier: str, identifier_type: str | None, ctx: NormalizeContext
) -> _Action:
    problems = Problems()
    problems.check_text(identifier, "identifier")
    problems.check_text(identifier_type, "identifierType")
    problems.check_text(body)
    problems.raise_if_any()
    kind = "id" if identifier_type is None else identifier_type
    if kind == "tiny":
        problems.add("identifierType", "tiny ids are not supported; use alias or id")
    elif kind not in ("id", "alias"):
        problems.add("identifierType", "must be one of: id, alias, tiny")
    if not isinstance(identifier, str) or not identifier.strip():
        problems.add("identifier", "must not be blank")
        identifier = ""
    elif len(identifier) > _MAX["alias"]:
        problems.add("identifier", f"must be at most {_MAX['alias']} characters")
    elif kind == "id" and not FINGERPRINT.fullmatch(identifier):
        problems.add("identifier", "is not an alert id issued by Tocsin")
    obj = {} if body is None else problems.object(body, ROOT) or {}
    source = problems.text(obj, "source", ROOT, max_length=_MAX_ACTOR["source"])
    actor = _actor(obj, problems)
    problems.raise_if_any()
    alias = identifier if kind == "alias" else None
    fingerprint = opsgenie_fingerprint(ctx.integration, alias) if alias else identifier
    return _Action(fingerprint, alias, actor["user"], source, actor["note"])
