"""The final assembly every normalizer ends with: a validated draft and the request's context
-> the canonical `Alert`, with defaults merged and what the draft leaves open derived."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from services.ingest.normalizers.canonical_fields import AlertDraft
from services.ingest.normalizers.classify import classify
from services.ingest.normalizers.context import NormalizeContext
from services.ingest.normalizers.unvalidated import unvalidated_alert
from shared.alerts import Alert, AlertStatus
from shared.fingerprint import label_fingerprint


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
