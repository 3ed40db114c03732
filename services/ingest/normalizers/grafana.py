"""Grafana unified alerting webhook notifications (payload version "1") -> canonical alerts.

Grafana's webhook is Alertmanager's shape with extras, so alerts are read the same way (firing
alerts also carry `endsAt: 0001-01-01T00:00:00Z`; the fingerprint is Grafana's, else the label
fingerprint). Per-alert extras become annotations, the rule's own annotations winning a clash:

    silenceURL -> silence_url     dashboardURL -> dashboard_url    panelURL -> panel_url
    imageURL -> image_url         valueString -> value_string      values -> values (compact JSON)

Empty URLs are left out. The receiver is the contact point's name as is (Grafana does not
regex-quote it). `title`, `state`, `message` and `orgId` come back beside the group.

Label names: Grafana's own Alertmanager takes any (a query's labels may be `host.name`, from
Elasticsearch or InfluxDB tags), and its webhook sends them as they are. A name that is not
an Alertmanager 0.25 label name is renamed as Grafana renames it for an external Alertmanager
(`sanitizeLabelName`): spaces dropped, other printable ASCII (and a leading digit) become `_`,
any other character its code as `0x..`; a name that then collides with an earlier one (in
sorted order) gets `_` and the first 6 hex digits of the md5 of its original name; a name
left empty is dropped. So the alert keeps its labels, as an external Alertmanager shows them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from services.ingest.normalizers.alertmanager import WebhookGroup, read_alert_list, read_group
from services.ingest.normalizers.assemble import assemble_all
from services.ingest.normalizers.context import NormalizeContext
from services.ingest.normalizers.errors import ROOT, Problems, compact_json, field_path
from services.ingest.normalizers.limits import LABEL_NAME, check_annotation
from shared.alerts import Alert

_TEXT_EXTRAS = {
    "silenceURL": "silence_url",
    "dashboardURL": "dashboard_url",
    "panelURL": "panel_url",
    "imageURL": "image_url",
    "valueString": "value_string",
}


@dataclass(frozen=True, slots=True)
class GrafanaNotification:
    alerts: tuple[Alert, ...]
    group: WebhookGroup
    org_id: int | None
    title: str | None
    state: str | None
    message: str | None


def normalize_grafana(body: Any, ctx: NormalizeContext) -> GrafanaNotification:
    """A Grafana webhook body -> its alerts and group, or `InvalidPayload`."""
    problems = Problems()
    obj = problems.body_object(body)
    problems.choice(obj, "version", ROOT, ("1",), required=False)
    group = read_group(obj, problems, receiver_is_quoted=False)
    org_id = _org_id(obj, problems)
    title = problems.text(obj, "title", ROOT)
    state = problems.text(obj, "state", ROOT)
    message = problems.text(obj, "message", ROOT)
    drafts = read_alert_list(_renamed(obj), ctx, problems, extras=_extra_annotations)
    problems.raise_if_any()
    alerts = assemble_all((draft for _, draft in drafts), ctx)
    return GrafanaNotification(alerts, group, org_id, title, state, message)


def _extra_annotations(
    alert: dict[str, Any], path: str, ctx: NormalizeContext, problems: Problems
) -> dict[str, str]:
    extras: dict[str, str] = {}
    for key, name in _TEXT_EXTRAS.items():
        text = problems.text(alert, key, path)
        if text and check_annotation(name, text, field_path(path, key), ctx.limits, problems):
            extras[name] = text
    if alert.get("values") is not None:
        values = compact_json(alert["values"])
        field = field_path(path, "values")
        if values is None:
            problems.add(field, "is nested too deeply")
        elif check_annotation("values", values, field, ctx.limits, problems):
            extras["values"] = values
    return extras


def _org_id(obj: dict[str, Any], problems: Problems) -> int | None:
    value = obj.get("orgId")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add("orgId", "must be an integer")
        return None
    return value


def _renamed(obj: dict[str, Any]) -> dict[str, Any]:
    """The body with every alert's label names valid (see the module docstring); the body
    itself if they all are, as they nearly always are."""
    alerts = obj.get("alerts")
    if type(alerts) is not list:
        return obj
    renamed = [
        {**alert, "labels": grafana_label_set(alert["labels"])}
        if type(alert) is dict
        and type(alert.get("labels")) is dict
        and not all(LABEL_NAME.fullmatch(name) for name in alert["labels"])
        else alert
        for alert in alerts
    ]
    if all(new is old for new, old in zip(renamed, alerts, strict=True)):
        return obj
    return {**obj, "alerts": renamed}


def grafana_label_set(labels: dict[str, Any]) -> dict[str, Any]:
    """Grafana's `sanitizeLabelSet`: names in sorted order, each renamed if invalid, a
    collision made unique with a hash of the original name. Values are left to the reader."""
    renamed: dict[str, Any] = {}
    for name in sorted(labels):
        new = grafana_label_name(name)
        if not new:
            continue  # nothing left of it: Grafana drops it too
        if new in renamed:
            new += "_" + hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()[:6]
        renamed[new] = labels[name]
    return renamed


def grafana_label_name(name: str) -> str:
    """Grafana's `sanitizeLabelName`, and a leading `_` if a leading digit is left over."""
    if LABEL_NAME.fullmatch(name):
        return name
    out = []
    for index, char in enumerate(name):
        if char.isspace():
            continue
        if char.isascii() and (char.isalpha() or char == "_" or (char.isdigit() and index)):
            out.append(char)
        elif " " < char < "\x7f":
            out.append("_")
        else:
            out.append(f"{ord(char):#x}")
    text = "".join(out)
    return "_" + text if text[:1].isdigit() else text
