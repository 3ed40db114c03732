"""Alertmanager webhook notifications (payload version 4) -> canonical alerts.

Per alert: `status` is required; `endsAt` of `0001-01-01T00:00:00Z` (Go's zero time, what
firing alerts carry) means "no end"; a missing `startsAt` means `received_at`; `generatorURL`
"" means none; the fingerprint is the payload's when it is hex, else the label fingerprint
(the same value Alertmanager computes). Unknown fields are ignored, as newer Alertmanager
releases add some (`notification_reason`, `routeLabels`).

The group (receiver, groupKey, common labels, truncatedAlerts) comes back beside the alerts in
`WebhookGroup`, not stamped on them: one alert reaches several receivers under different group
keys, so as an annotation it would flap. `truncatedAlerts > 0` means the list is incomplete:
an alert missing from it is not thereby resolved.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from services.ingest.normalizers.assemble import assemble_all
from services.ingest.normalizers.canonical import check_order, check_start, read_status
from services.ingest.normalizers.canonical_fields import AlertDraft
from services.ingest.normalizers.context import NormalizeContext
from services.ingest.normalizers.errors import (
    ROOT,
    Problems,
    StartBounds,
    field_path,
    start_bounds,
)
from services.ingest.normalizers.limits import read_annotations, read_labels, read_string_map
from shared.alerts import Alert, AlertStatus

# (raw alert object, its path, context, problems) -> annotations to add
ExtraAnnotations = Callable[[dict[str, Any], str, NormalizeContext, Problems], dict[str, str]]
_HEX = re.compile(r"[0-9a-fA-F]{1,64}", re.ASCII)
# What Go's regexp.QuoteMeta escapes; Alertmanager sends the receiver name quoted that way.
_QUOTED_META = re.compile(r"\\([\\.+*?()|\[\]{}^$])")


@dataclass(frozen=True, slots=True)
class WebhookGroup:
    """The aggregation group a webhook notification speaks for."""

    receiver: str
    group_key: str
    status: AlertStatus | None
    group_labels: Mapping[str, str]
    common_labels: Mapping[str, str]
    common_annotations: Mapping[str, str]
    external_url: str | None
    truncated_alerts: int


@dataclass(frozen=True, slots=True)
class AlertmanagerNotification:
    alerts: tuple[Alert, ...]
    group: WebhookGroup


def normalize_alertmanager(body: Any, ctx: NormalizeContext) -> AlertmanagerNotification:
    """An Alertmanager webhook body -> its alerts and group, or `InvalidPayload`."""
    problems = Problems()
    obj = problems.body_object(body)
    problems.choice(obj, "version", ROOT, ("4",), required=False)
    group = read_group(obj, problems, receiver_is_quoted=True)
    drafts = read_alert_list(obj, ctx, problems)
    problems.raise_if_any()
    return AlertmanagerNotification(assemble_all((draft for _, draft in drafts), ctx), group)


def unescape_receiver(receiver: str) -> str:
    """Undo regexp.QuoteMeta: `team\\.db\\+ops` -> `team.db+ops`."""
    return _QUOTED_META.sub(r"\1", receiver)


def read_group(
    obj: dict[str, Any], problems: Problems, *, receiver_is_quoted: bool
) -> WebhookGroup:
    """The group fields shared by Alertmanager's and Grafana's webhooks."""
    receiver = problems.text(obj, "receiver", ROOT) or ""
    return WebhookGroup(
        receiver=unescape_receiver(receiver) if receiver_is_quoted else receiver,
        group_key=problems.text(obj, "groupKey", ROOT) or "",
        status=read_status(obj, ROOT, problems, required=False),
        group_labels=read_string_map(obj.get("groupLabels"), "groupLabels", problems),
        common_labels=read_string_map(obj.get("commonLabels"), "commonLabels", problems),
        common_annotations=read_string_map(
            obj.get("commonAnnotations"), "commonAnnotations", problems
        ),
        external_url=problems.text(obj, "externalURL", ROOT) or None,
        truncated_alerts=_count(obj, "truncatedAlerts", problems),
    )


def read_alert_list(
    obj: dict[str, Any],
    ctx: NormalizeContext,
    problems: Problems,
    extras: ExtraAnnotations | None = None,
) -> list[tuple[str, AlertDraft]]:
    """`alerts`: required, at most `max_alerts_per_request`; each read by `read_webhook_alert`.

    `extras` turns source-specific fields of an alert into annotations; the alert's own
    annotations win on a name clash.
    """
    if obj.get("alerts") is None:
        problems.add("alerts", "is required")
        return []
    items = problems.array(obj["alerts"], "alerts", ctx.limits.max_alerts_per_request) or []
    drafts = []
    bounds = start_bounds(ctx.received_at, ctx.resolve_timeout)
    for index, item in enumerate(items):
        path = field_path("alerts", index)
        draft = read_webhook_alert(item, path, ctx, bounds, problems)
        if draft is not None and extras is not None:
            added = extras(item, path, ctx, problems)
            draft = draft._replace(annotations={**added, **draft.annotations})
        if draft is not None:
            drafts.append((path, draft))
    return drafts


def read_webhook_alert(
    item: Any, path: str, ctx: NormalizeContext, bounds: StartBounds, problems: Problems
) -> AlertDraft | None:
    """One alert of a webhook notification, in Alertmanager's shape; its start no later than
    `bounds` allow (`check_start`)."""
    alert = problems.object(item, path)
    if alert is None:
        return None
    labels_path = field_path(path, "labels")
    raw_labels = alert.get("labels")
    if raw_labels is None:
        problems.add(labels_path, "is required")
        raw_labels = {}
    annotations_path = field_path(path, "annotations")
    starts_at = problems.timestamp(alert, "startsAt", path)
    ends_at = problems.timestamp(alert, "endsAt", path)
    check_start(starts_at, ends_at, field_path(path, "startsAt"), bounds, problems)
    check_order(starts_at, ends_at, field_path(path, "endsAt"), problems)
    labels = read_labels(raw_labels, labels_path, ctx.limits, problems)
    given = alert.get("labels")
    if (
        isinstance(given, dict)
        and all(isinstance(v, str) for v in given.values())
        and not any(given.values())
    ):
        # Alertmanager refuses an alert without labels; it could never be told from another.
        # (Labels of other types were named above.)
        problems.add(labels_path, "must have at least one label with a value")
    return AlertDraft(
        labels=labels,
        annotations=read_annotations(
            alert.get("annotations"), annotations_path, ctx.limits, problems
        ),
        status=read_status(alert, path, problems, required=True),
        starts_at=starts_at,
        ends_at=ends_at,
        fingerprint=_hex_fingerprint(alert.get("fingerprint")),
        generator_url=problems.text(alert, "generatorURL", path) or None,
    )


def _hex_fingerprint(value: Any) -> str | None:
    """The sender's fingerprint if it is plausible, else None (the labels decide)."""
    if isinstance(value, str) and _HEX.fullmatch(value):
        return value.lower()
    return None


def _count(obj: dict[str, Any], key: str, problems: Problems) -> int:
    value = obj.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        problems.add(key, "must be a non-negative integer")
        return 0
    return value
