"""Tocsin's own alert JSON, and the final assembly every normalizer ends with.

Body: one object or a list of them (at most `max_alerts_per_request`), snake_case fields:

    {"labels": {"alertname": ..., ...},            required, must include alertname
     "annotations": {...}, "status": "firing"|"resolved",
     "severity": "critical"|"error"|"warning"|"info", "layer": ..., "service": ..., "team": ...,
     "summary": ..., "starts_at": RFC 3339, "ends_at": RFC 3339,
     "fingerprint": ..., "generator_url": ...}

`startsAt`, `endsAt` and `generatorURL` are accepted too, so Alertmanager API v2 bodies work
unchanged. Unknown fields are rejected: this is our API, and typos should not pass silently.
Explicit `severity`/`layer`/`service`/`team` win over what the labels imply. Without `status`,
an alert whose `ends_at` is not after `received_at` is resolved (Alertmanager's rule).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple, TypeVar

from services.ingest.normalizers.classify import classify
from services.ingest.normalizers.context import NormalizeContext
from services.ingest.normalizers.errors import ROOT, Problems, field_path
from services.ingest.normalizers.limits import read_annotations, read_labels
from services.ingest.normalizers.unvalidated import unvalidated_alert
from shared.alerts import Alert, AlertStatus, Layer, Severity
from shared.fingerprint import label_fingerprint

FINGERPRINT = re.compile(r"[A-Za-z0-9._:-]{1,64}", re.ASCII)
_STATUSES: tuple[AlertStatus, ...] = ("firing", "resolved")
_ALIASES = {"starts_at": "startsAt", "ends_at": "endsAt", "generator_url": "generatorURL"}
_Choice = TypeVar("_Choice", Severity, Layer)
_FIELDS = frozenset(
    {"labels", "annotations", "status", "severity", "layer", "service", "team", "summary"}
    | {"fingerprint", *_ALIASES, *_ALIASES.values()}
)


class AlertDraft(NamedTuple):
    """A validated alert before defaults and derivations are applied. None means "derive it".

    A named tuple, not a frozen dataclass: one is built per alert, and a frozen dataclass's
    `__init__` (one `object.__setattr__` per field) cost more than reading the alert.
    """

    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    status: AlertStatus | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    fingerprint: str | None = None
    summary: str | None = None
    generator_url: str | None = None
    severity: Severity | None = None
    layer: Layer | None = None
    service: str | None = None
    team: str | None = None


def normalize_canonical(body: Any, ctx: NormalizeContext) -> tuple[Alert, ...]:
    """Tocsin JSON (one alert or a list) -> alerts, or `InvalidPayload` with every problem."""
    problems = Problems()
    problems.check_text(body)
    problems.raise_if_any()
    items = _items(body, ctx, problems)
    drafts = [_read_alert(item, path, ctx, problems) for path, item in items]
    problems.raise_if_any()
    return assemble_all([draft for draft in drafts if draft], ctx)


def assemble_all(drafts: Iterable[AlertDraft], ctx: NormalizeContext) -> tuple[Alert, ...]:
    """Assemble every draft of a valid request (its problems were all reported before)."""
    return tuple([assemble(draft, ctx) for draft in drafts])


def assemble(draft: AlertDraft, ctx: NormalizeContext) -> Alert:
    """Merge default labels, derive what the draft leaves open, and build the `Alert`.

    The fallback fingerprint covers the payload's labels only, so it equals Alertmanager's for
    the same alert whatever defaults the integration adds. The draft's values were checked as
    they were read, so the alert is built without validating them again (`unvalidated.py`).
    """
    labels = {**ctx.default_labels, **draft.labels}
    derived = classify(labels, ctx.layer_rules)
    starts_at = draft.starts_at or ctx.received_at
    status = draft.status or _implied_status(draft.ends_at, ctx)
    return unvalidated_alert(
        fingerprint=draft.fingerprint or label_fingerprint(draft.labels),
        status=status,
        severity=draft.severity or derived.severity,
        layer=draft.layer or derived.layer,
        service=draft.service or derived.service,
        team=draft.team or derived.team,
        labels=labels,
        annotations=dict(draft.annotations),
        starts_at=starts_at,
        ends_at=_effective_end(draft.ends_at, status, starts_at, ctx),
        summary=draft.summary or draft.annotations.get("summary") or labels.get("alertname", ""),
        generator_url=draft.generator_url or None,
        source=ctx.integration_type,
        integration=ctx.integration,
        received_at=ctx.received_at,
    )


def stamped_only(alert: Alert) -> bool:
    """Whether `assemble` took nothing from the receive time for this alert but its
    `received_at`: it has no end (so the receive time gave it neither status nor end) and its
    start is not the receive time (so it was given). The same body received at any other time
    then gives this alert with that `received_at`: a replay normalizes a re-sent body once.
    Conservative: a start that happens to equal the receive time answers no."""
    return alert.ends_at is None and alert.starts_at != alert.received_at


def check_order(
    starts_at: datetime | None, ends_at: datetime | None, field: str, problems: Problems
) -> None:
    """Alertmanager rejects an end before the start; so do we."""
    if starts_at is not None and ends_at is not None and ends_at < starts_at:
        problems.add(field, "must not be before the start time")


def _implied_status(ends_at: datetime | None, ctx: NormalizeContext) -> AlertStatus:
    return "resolved" if ends_at is not None and ends_at <= ctx.received_at else "firing"


def _effective_end(
    ends_at: datetime | None, status: AlertStatus, starts_at: datetime, ctx: NormalizeContext
) -> datetime | None:
    """A resolved alert always has an end; a firing one gets `resolve_timeout` if configured."""
    if ends_at is not None:
        return ends_at
    if status == "resolved":
        return max(ctx.received_at, starts_at)
    if ctx.resolve_timeout is not None:
        return max(ctx.received_at + ctx.resolve_timeout, starts_at)
    return None


def _items(body: Any, ctx: NormalizeContext, problems: Problems) -> list[tuple[str, Any]]:
    if isinstance(body, dict):
        return [(ROOT, body)]
    if not isinstance(body, list):
        problems.add(ROOT, "must be an alert object or an array of them")
        return []
    items = problems.array(body, ROOT, ctx.limits.max_alerts_per_request)
    return [(field_path(ROOT, index), item) for index, item in enumerate(items or [])]


def _read_alert(
    item: Any, path: str, ctx: NormalizeContext, problems: Problems
) -> AlertDraft | None:
    obj = problems.object(item, path)
    if obj is None:
        return None
    unknown = obj.keys() - _FIELDS
    if unknown:  # rare: no sort per alert for nothing
        for key in sorted(unknown):
            problems.add(field_path(path, key), "is not a known field")
    limits = ctx.limits
    annotations_path = field_path(path, "annotations")
    starts_key = _aliased_key(obj, "starts_at", path, problems)
    ends_key = _aliased_key(obj, "ends_at", path, problems)
    draft = AlertDraft(
        labels=_required_labels(obj, path, ctx, problems),
        annotations=read_annotations(obj.get("annotations"), annotations_path, limits, problems),
        status=read_status(obj, path, problems, required=False),
        starts_at=problems.timestamp(obj, starts_key, path),
        ends_at=problems.timestamp(obj, ends_key, path),
        fingerprint=_fingerprint(obj, path, problems),
        summary=problems.text(obj, "summary", path, max_length=limits.max_annotation_value_length),
        generator_url=problems.text(obj, _aliased_key(obj, "generator_url", path, problems), path),
        severity=_enum(obj, "severity", path, Severity, problems),
        layer=_enum(obj, "layer", path, Layer, problems),
        service=problems.text(obj, "service", path, max_length=limits.max_label_value_length),
        team=problems.text(obj, "team", path, max_length=limits.max_label_value_length),
    )
    check_order(draft.starts_at, draft.ends_at, field_path(path, ends_key), problems)
    return draft


def _required_labels(
    obj: dict[str, Any], path: str, ctx: NormalizeContext, problems: Problems
) -> dict[str, str]:
    labels_path = field_path(path, "labels")
    if obj.get("labels") is None:
        problems.add(labels_path, "is required")
        return {}
    raw = obj["labels"]
    labels = read_labels(raw, labels_path, ctx.limits, problems)
    if isinstance(raw, dict) and raw.get("alertname") in (None, ""):
        problems.add(field_path(labels_path, "alertname"), "is required")
    return labels


def _aliased_key(obj: dict[str, Any], key: str, path: str, problems: Problems) -> str:
    """The snake_case key, or its camelCase alias if only that is present; not both."""
    alias = _ALIASES[key]
    if alias not in obj:
        return key
    if key in obj:
        problems.add(field_path(path, alias), f"must not be given together with {key}")
    return alias


def read_status(
    obj: dict[str, Any], path: str, problems: Problems, *, required: bool
) -> AlertStatus | None:
    """`status`: firing or resolved."""
    value = problems.choice(obj, "status", path, _STATUSES, required=required)
    return "resolved" if value == "resolved" else "firing" if value == "firing" else None


def _enum(
    obj: dict[str, Any], key: str, path: str, kind: type[_Choice], problems: Problems
) -> _Choice | None:
    if obj.get(key) is None:  # mostly absent: skip the readers
        return None
    value = problems.choice(obj, key, path, _options(kind), required=False)
    return None if value is None else kind(value)


@functools.cache
def _options(kind: type[StrEnum]) -> tuple[str, ...]:
    """The values of an enum, in order (iterating an enum per alert costs more than reading)."""
    return tuple(member.value for member in kind)


def _fingerprint(obj: dict[str, Any], path: str, problems: Problems) -> str | None:
    value = problems.text(obj, "fingerprint", path)
    if value is not None and not FINGERPRINT.fullmatch(value):
        message = "must be 1-64 characters of letters, digits, '.', '_', ':' or '-'"
        problems.add(field_path(path, "fingerprint"), message)
        return None
    return value
