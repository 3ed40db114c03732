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
an alert whose `ends_at` is not after `received_at` is resolved (Alertmanager's rule). A start
more than `MAX_CLOCK_SKEW` after `received_at` is refused, and so, for an alert without an end
when the integration has a `resolve_timeout`, is one after `received_at + resolve_timeout`
(`check_start`; every source with a start of its own is held to it).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeVar

from services.ingest.normalizers.assemble import assemble_all
from services.ingest.normalizers.canonical_fast import valid_alerts
from services.ingest.normalizers.canonical_fields import (
    ALIASES,
    FIELDS,
    FINGERPRINT,
    LAYERS,
    SEVERITIES,
    STATUSES,
    AlertDraft,
)
from services.ingest.normalizers.context import NormalizeContext
from services.ingest.normalizers.errors import (
    MAX_CLOCK_SKEW,
    ROOT,
    Problems,
    StartBounds,
    field_path,
    start_bounds,
)
from services.ingest.normalizers.limits import read_annotations, read_labels
from shared.alerts import Alert, AlertStatus, Layer, Severity

_Choice = TypeVar("_Choice", Severity, Layer)
_OPTIONS: dict[type[Any], tuple[str, ...]] = {Severity: SEVERITIES, Layer: LAYERS}


def normalize_canonical(body: Any, ctx: NormalizeContext) -> tuple[Alert, ...]:
    """Tocsin JSON (one alert or a list) -> alerts, or `InvalidPayload` with every problem."""
    alerts = valid_alerts(body, ctx)  # a valid body, read fast; None: any doubt
    return assemble_all(checked_drafts(body, ctx), ctx) if alerts is None else alerts


def checked_drafts(body: Any, ctx: NormalizeContext) -> list[AlertDraft]:
    """The drafts of a valid body, or `InvalidPayload` naming every problem: each field read
    with its JSON path at hand (`valid_drafts` gives the same drafts faster, when it can)."""
    problems = Problems()
    problems.check_text(body)
    problems.raise_if_any()
    items = _items(body, ctx, problems)
    bounds = start_bounds(ctx.received_at, ctx.resolve_timeout)
    drafts = [_read_alert(item, path, ctx, bounds, problems) for path, item in items]
    problems.raise_if_any()
    return [draft for draft in drafts if draft]


def stamped_only(alert: Alert) -> bool:
    """Whether `assemble` took nothing from the receive time for this alert but its
    `received_at`: it has no end (so the receive time gave it neither status nor end) and its
    start is not the receive time (so it was given). The same body received at any later time
    then gives this alert with that `received_at`: a replay normalizes a re-sent body once.
    (Later, not earlier: `check_start` refuses a start too far after the receive time, so a
    body valid when received stays valid later, not before.) Conservative: a start that
    happens to equal the receive time answers no."""
    return alert.ends_at is None and alert.starts_at != alert.received_at


def check_order(
    starts_at: datetime | None, ends_at: datetime | None, field: str, problems: Problems
) -> None:
    """Alertmanager rejects an end before the start; so do we."""
    if starts_at is not None and ends_at is not None and ends_at < starts_at:
        problems.add(field, "must not be before the start time")


def check_start(
    starts_at: datetime | None,
    ends_at: datetime | None,
    field: str,
    bounds: StartBounds,
    problems: Problems,
) -> None:
    """A start later than `bounds` allow is refused: beyond the clock skew, or, for an alert
    without an end, beyond the end `resolve_timeout` would give it (Alertmanager's API refuses
    that one too). An alert with an end is held to the skew alone and `check_order`."""
    latest = bounds.without_end if ends_at is None else bounds.with_end
    if starts_at is None or starts_at <= latest:
        return
    if ends_at is None and bounds.resolve_timeout is not None:
        timeout = _duration_text(bounds.resolve_timeout)
        message = f"must not be later than the receive time plus resolve_timeout ({timeout})"
        problems.add(field, message + " for an alert without an end: it would end before it starts")
    else:
        skew = _duration_text(MAX_CLOCK_SKEW)
        message = (
            f"must not be more than {skew} after the receive time: is the sender's clock right?"
        )
        problems.add(field, message)


def _duration_text(duration: timedelta) -> str:
    """Whole seconds as Go writes durations: `1h`, `5m`, `1h30m`, `1m30s`."""
    hours, rest = divmod(int(duration.total_seconds()), 3600)
    minutes, seconds = divmod(rest, 60)
    parts = ((hours, "h"), (minutes, "m"), (seconds, "s"))
    return "".join(f"{count}{unit}" for count, unit in parts if count) or "0s"


def _items(body: Any, ctx: NormalizeContext, problems: Problems) -> list[tuple[str, Any]]:
    if isinstance(body, dict):
        return [(ROOT, body)]
    if not isinstance(body, list):
        problems.add(ROOT, "must be an alert object or an array of them")
        return []
    items = problems.array(body, ROOT, ctx.limits.max_alerts_per_request)
    return [(field_path(ROOT, index), item) for index, item in enumerate(items or [])]


def _read_alert(
    item: Any, path: str, ctx: NormalizeContext, bounds: StartBounds, problems: Problems
) -> AlertDraft | None:
    obj = problems.object(item, path)
    if obj is None:
        return None
    unknown = obj.keys() - FIELDS
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
    starts, ends = draft.starts_at, draft.ends_at
    check_start(starts, ends, field_path(path, starts_key), bounds, problems)
    check_order(starts, ends, field_path(path, ends_key), problems)
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
    alias = ALIASES[key]
    if alias not in obj:
        return key
    if key in obj:
        problems.add(field_path(path, alias), f"must not be given together with {key}")
    return alias


def read_status(
    obj: dict[str, Any], path: str, problems: Problems, *, required: bool
) -> AlertStatus | None:
    """`status`: firing or resolved."""
    value = problems.choice(obj, "status", path, STATUSES, required=required)
    return "resolved" if value == "resolved" else "firing" if value == "firing" else None


def _enum(
    obj: dict[str, Any], key: str, path: str, kind: type[_Choice], problems: Problems
) -> _Choice | None:
    if obj.get(key) is None:  # mostly absent: skip the readers
        return None
    value = problems.choice(obj, key, path, _OPTIONS[kind], required=False)
    return None if value is None else kind(value)


def _fingerprint(obj: dict[str, Any], path: str, problems: Problems) -> str | None:
    value = problems.text(obj, "fingerprint", path)
    if value is not None and not FINGERPRINT.fullmatch(value):
        message = "must be 1-64 characters of letters, digits, '.', '_', ':' or '-'"
        problems.add(field_path(path, "fingerprint"), message)
        return None
    return value
