"""PagerDuty Events API v2 (`/v2/enqueue` and `/v2/change/enqueue`) -> canonical results.

Validation follows PagerDuty's documentation: `routing_key` required (PagerDuty wants 32
characters; any non-blank string passes here, the adapter maps it to an integration);
`event_action` trigger|acknowledge|resolve; `dedup_key` at most 255 characters, required for
acknowledge and resolve. A trigger needs `payload.summary` (at most 1024 characters: longer is
rejected, not truncated), `payload.source`, `payload.severity` (critical|error|warning|info,
case-sensitive); `payload.timestamp` is optional. `images` are accepted, unused; of a
trigger's `links`, the first whose text says "runbook" becomes the `runbook_url` annotation
(pages link it) unless `custom_details` has one.

Identity: fingerprint = sha256("pagerduty\\0<integration>\\0<dedup_key>"), first 32 hex digits:
stable, scoped to the integration as PagerDuty scopes dedup keys to a service. A trigger without
`dedup_key` gets sha256(integration + "\\n" + the body as stored — `routing_key` redacted — as
compact sorted JSON), first 32 hex digits: a key per distinct event like PagerDuty's, but
deterministic so this stays pure, and made of nothing but what the log keeps, so a replay of
the stored body derives the same key (the routing key is a credential and is never stored).

Trigger -> `PagerDutyTriggered`: labels alertname=summary, severity, source, component, group,
class, dedup_key; annotations = custom_details (an object gives one annotation per key, strings
as is, other values as compact JSON; any other JSON one `custom_details` annotation), then
summary, client, client_url. generator_url = client_url; starts_at = timestamp or received_at.
Resolve -> `PagerDutyResolved`: a resolved alert with the same fingerprint whose labels are the
defaults plus dedup_key (the event names no alertname). Acknowledge -> `PagerDutyAcknowledged`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from services.ingest.normalizers.assemble import assemble_all
from services.ingest.normalizers.canonical import check_start
from services.ingest.normalizers.canonical_fields import AlertDraft
from services.ingest.normalizers.classify import derive_service
from services.ingest.normalizers.context import NormalizeContext
from services.ingest.normalizers.errors import (
    ROOT,
    FieldError,
    InvalidPayload,
    Problems,
    compact_json,
    field_path,
    start_bounds,
)
from services.ingest.normalizers.limits import (
    Limits,
    check_annotation,
    check_annotation_count,
    check_label_value,
)
from shared.alerts import Alert, Severity

_ACTIONS = ("trigger", "acknowledge", "resolve")
_SEVERITIES = tuple(severity.value for severity in Severity)
_MAX_DEDUP_KEY = 255
_MAX_SUMMARY = 1024
_MAX_LINKS = 100
_LABEL_FIELDS = ("component", "group", "class")
REDACTED = "[redacted]"


@dataclass(frozen=True, slots=True)
class PagerDutyTriggered:
    dedup_key: str
    alert: Alert
    action: Literal["trigger"] = "trigger"


@dataclass(frozen=True, slots=True)
class PagerDutyResolved:
    dedup_key: str
    alert: Alert
    action: Literal["resolve"] = "resolve"


@dataclass(frozen=True, slots=True)
class PagerDutyAcknowledged:
    """Someone is on it: no alert changes, but the incident it belongs to may record it."""

    dedup_key: str
    fingerprint: str
    integration: str
    received_at: datetime
    action: Literal["acknowledge"] = "acknowledge"


PagerDutyEvent = PagerDutyTriggered | PagerDutyAcknowledged | PagerDutyResolved


class ChangeLink(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    href: str
    text: str | None = None


class ChangeEvent(BaseModel):
    """A change (deploy, config push) reported to an integration: context, never a page.

    `key` is deterministic (see `generated_key`); `emitter` is PagerDuty's `payload.source`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    summary: str
    emitter: str | None = None
    occurred_at: AwareDatetime
    labels: dict[str, str]
    service: str | None = None
    team: str | None = None
    details: dict[str, str]
    links: tuple[ChangeLink, ...] = ()
    source: str
    integration: str
    received_at: AwareDatetime


def normalize_pagerduty_event(body: Any, ctx: NormalizeContext) -> PagerDutyEvent:
    """An Events API v2 event -> what it asks for, or `InvalidPayload`."""
    problems = Problems()
    obj = problems.body_object(body)
    problems.text(obj, "routing_key", ROOT, required=True)
    action = problems.choice(obj, "event_action", ROOT, _ACTIONS, required=True)
    needs_key = action in ("acknowledge", "resolve")
    given_key = problems.text(obj, "dedup_key", ROOT, required=needs_key, max_length=_MAX_DEDUP_KEY)
    # A blank key on a trigger is none (one is made, and answered): a resolve or acknowledge
    # refuses a blank key, so the alert could never be ended by it.
    dedup_key = (
        given_key if given_key and given_key.strip() else generated_key(ctx.integration, obj)
    )
    fingerprint = pagerduty_fingerprint(ctx.integration, dedup_key)
    draft = _trigger_draft(obj, dedup_key, ctx, problems) if action == "trigger" else None
    problems.raise_if_any()
    if action == "acknowledge":
        return PagerDutyAcknowledged(dedup_key, fingerprint, ctx.integration, ctx.received_at)
    if draft is None:  # resolve
        draft = AlertDraft(labels={"dedup_key": dedup_key}, annotations={}, status="resolved")
    (alert,) = assemble_all([draft._replace(fingerprint=fingerprint)], ctx)
    if action == "trigger":
        return PagerDutyTriggered(dedup_key, alert)
    return PagerDutyResolved(dedup_key, alert)


def normalize_pagerduty_change(body: Any, ctx: NormalizeContext) -> ChangeEvent:
    """A change event for `/v2/change/enqueue` -> `ChangeEvent`, or `InvalidPayload`."""
    problems = Problems()
    obj = problems.body_object(body)
    problems.text(obj, "routing_key", ROOT, required=True)
    payload = _payload(obj, problems) or {}
    summary = problems.text(payload, "summary", "payload", required=True, max_length=_MAX_SUMMARY)
    emitter = problems.text(payload, "source", "payload", max_length=_MAX_SUMMARY)
    occurred_at = problems.timestamp(payload, "timestamp", "payload")
    bounds = start_bounds(ctx.received_at, None)  # a change has no end to keep
    check_start(occurred_at, None, "payload.timestamp", bounds, problems)
    details = flatten_details(payload.get("custom_details"), ctx.limits, problems)
    links = _links(obj.get("links"), problems)
    problems.raise_if_any()
    labels = dict(ctx.default_labels)
    try:
        return ChangeEvent(
            key=generated_key(ctx.integration, obj),
            summary=summary or "",
            emitter=emitter or None,
            occurred_at=occurred_at or ctx.received_at,
            labels=labels,
            service=derive_service(labels),
            team=labels.get("team"),
            details=details,
            links=links,
            source=ctx.integration_type,
            integration=ctx.integration,
            received_at=ctx.received_at,
        )
    except ValidationError as error:  # a gap in our own validation: report it, never crash
        message = f"cannot be normalized: {error.errors()[0]['msg']}"
        raise InvalidPayload([FieldError(ROOT, message)]) from None


def pagerduty_fingerprint(integration: str, dedup_key: str) -> str:
    """The alert fingerprint for a dedup key of an integration (32 hex digits)."""
    digest = hashlib.sha256(f"pagerduty\0{integration}\0{dedup_key}".encode())
    return digest.hexdigest()[:32]


def redacted(body: dict[str, Any]) -> dict[str, Any]:
    """The body as ingest stores it: everything but the credential, `routing_key`."""
    return {**body, "routing_key": REDACTED}


def generated_key(integration: str, body: dict[str, Any]) -> str:
    """The dedup key PagerDuty would invent, made deterministic: a hash of the integration's
    name and the body as stored (`redacted`), so the same key comes from the body as posted
    and from its stored copy. 32 hex digits."""
    stored = redacted(body)
    text = compact_json(stored, ascii_only=True) or ascii(sorted(stored))
    return hashlib.sha256(f"{integration}\n{text}".encode()).hexdigest()[:32]


def pagerduty_accepted_body(event: PagerDutyEvent) -> dict[str, str]:
    """PagerDuty's 202 body for `/v2/enqueue`."""
    return {"status": "success", "message": "Event processed", "dedup_key": event.dedup_key}


def pagerduty_change_accepted_body() -> dict[str, str]:
    """PagerDuty's 202 body for `/v2/change/enqueue`."""
    return {"status": "success", "message": "Change event processed"}


def pagerduty_error_body(error: InvalidPayload) -> dict[str, Any]:
    """PagerDuty's 400 body: each error as `'<field>' <message>`."""
    return {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": [f"'{item.field}' {item.message}" for item in error.errors],
    }


def flatten_details(value: Any, limits: Limits, problems: Problems) -> dict[str, str]:
    """`payload.custom_details` (any JSON) -> annotations; see the module docstring."""
    path = "payload.custom_details"
    if value is None:
        return {}
    entries = value.items() if isinstance(value, dict) else [("custom_details", value)]
    details: dict[str, str] = {}
    for name, item in entries:
        field = field_path(path, name) if isinstance(value, dict) else path
        text = item if isinstance(item, str) else compact_json(item)
        if text is None:
            problems.add(field, "is nested too deeply")
        elif check_annotation(str(name), text, field, limits, problems):
            details[str(name)] = text
    check_annotation_count(details, path, limits, problems)
    return details


def _trigger_draft(
    obj: dict[str, Any], dedup_key: str, ctx: NormalizeContext, problems: Problems
) -> AlertDraft | None:
    payload = _payload(obj, problems)
    if payload is None:
        return None
    limits = ctx.limits
    summary = problems.text(payload, "summary", "payload", required=True, max_length=_MAX_SUMMARY)
    if summary is not None:  # it becomes the alertname label
        check_label_value(summary, "payload.summary", limits, problems)
    max_value = limits.max_label_value_length
    labels = {
        "alertname": summary or "",
        "severity": problems.choice(payload, "severity", "payload", _SEVERITIES, required=True),
        "source": problems.text(payload, "source", "payload", required=True, max_length=max_value),
        **{
            key: problems.text(payload, key, "payload", max_length=max_value)
            for key in _LABEL_FIELDS
        },
        "dedup_key": dedup_key,
    }
    annotations = flatten_details(payload.get("custom_details"), limits, problems)
    for key in ("client", "client_url"):
        text = problems.text(obj, key, ROOT)
        if text and check_annotation(key, text, key, limits, problems):
            annotations[key] = text
    runbook = _runbook_link(obj.get("links"), limits.max_annotation_value_length)
    if runbook is not None and "runbook_url" not in annotations:
        annotations["runbook_url"] = runbook
    severity = labels["severity"]
    return AlertDraft(
        labels={name: value for name, value in labels.items() if value},
        annotations={**annotations, "summary": summary or ""},
        status="firing",
        starts_at=_trigger_start(payload, ctx, problems),
        summary=summary,
        generator_url=annotations.get("client_url"),
        severity=Severity(severity) if severity else None,
    )


def _trigger_start(
    payload: dict[str, Any], ctx: NormalizeContext, problems: Problems
) -> datetime | None:
    """`payload.timestamp`, the sender's clock: held to `check_start` as an alert without an
    end (a trigger has none), so to the integration's `resolve_timeout` too if it has one."""
    starts_at = problems.timestamp(payload, "timestamp", "payload")
    bounds = start_bounds(ctx.received_at, ctx.resolve_timeout)
    check_start(starts_at, None, "payload.timestamp", bounds, problems)
    return starts_at


def _payload(obj: dict[str, Any], problems: Problems) -> dict[str, Any] | None:
    if obj.get("payload") is None:
        problems.add("payload", "is required")
        return None
    return problems.object(obj["payload"], "payload")


def _runbook_link(links: Any, max_length: int) -> str | None:
    """The href of the first of a trigger's `links` whose text says runbook, so pages link it
    as they link an Alertmanager alert's `runbook_url`. Read leniently: PagerDuty keeps links
    it cannot use, and a trigger is never refused for one."""
    if not isinstance(links, list):
        return None
    for link in links[:_MAX_LINKS]:
        if not isinstance(link, dict):
            continue
        href, text = link.get("href"), link.get("text")
        if isinstance(href, str) and isinstance(text, str) and "runbook" in text.lower():
            return href if len(href) <= max_length else None
    return None


def _links(value: Any, problems: Problems) -> tuple[ChangeLink, ...]:
    if value is None:
        return ()
    links = []
    for index, item in enumerate(problems.array(value, "links", _MAX_LINKS) or []):
        path = field_path("links", index)
        link = problems.object(item, path)
        if link is None:
            continue
        href = problems.text(link, "href", path, required=True)
        text = problems.text(link, "text", path)
        if href is not None:
            links.append(ChangeLink(href=href, text=text))
    return tuple(links)
