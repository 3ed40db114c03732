"""One pure normalizer per source: a parsed JSON body + `NormalizeContext` -> canonical results.

No I/O, no clock (`received_at` is in the context), no randomness. A body is valid whole or
rejected whole with `InvalidPayload`, which lists every problem (up to 50) by JSON path; no
other exception escapes a normalizer.
"""

from services.ingest.normalizers.alertmanager import (
    AlertmanagerNotification,
    WebhookGroup,
    normalize_alertmanager,
    unescape_receiver,
)
from services.ingest.normalizers.canonical import normalize_canonical, stamped_only
from services.ingest.normalizers.classify import (
    SEVERITY_ALIASES,
    Classification,
    LabelCondition,
    LayerRule,
    classify,
    parse_conditions,
)
from services.ingest.normalizers.context import NormalizeContext
from services.ingest.normalizers.errors import MAX_ERRORS, FieldError, InvalidPayload
from services.ingest.normalizers.grafana import GrafanaNotification, normalize_grafana
from services.ingest.normalizers.limits import Limits
from services.ingest.normalizers.opsgenie import (
    PRIORITY_SEVERITY,
    OpsgenieAcknowledged,
    OpsgenieClosed,
    OpsgenieCreated,
    normalize_opsgenie_acknowledge,
    normalize_opsgenie_close,
    normalize_opsgenie_create,
    opsgenie_accepted_body,
    opsgenie_error_body,
    opsgenie_fingerprint,
    opsgenie_request_id,
)
from services.ingest.normalizers.pagerduty import (
    ChangeEvent,
    ChangeLink,
    PagerDutyAcknowledged,
    PagerDutyEvent,
    PagerDutyResolved,
    PagerDutyTriggered,
    normalize_pagerduty_change,
    normalize_pagerduty_event,
    pagerduty_accepted_body,
    pagerduty_change_accepted_body,
    pagerduty_error_body,
    pagerduty_fingerprint,
)

__all__ = [
    "MAX_ERRORS",
    "PRIORITY_SEVERITY",
    "SEVERITY_ALIASES",
    "AlertmanagerNotification",
    "ChangeEvent",
    "ChangeLink",
    "Classification",
    "FieldError",
    "GrafanaNotification",
    "InvalidPayload",
    "LabelCondition",
    "LayerRule",
    "Limits",
    "NormalizeContext",
    "OpsgenieAcknowledged",
    "OpsgenieClosed",
    "OpsgenieCreated",
    "PagerDutyAcknowledged",
    "PagerDutyEvent",
    "PagerDutyResolved",
    "PagerDutyTriggered",
    "WebhookGroup",
    "classify",
    "normalize_alertmanager",
    "normalize_canonical",
    "normalize_grafana",
    "normalize_opsgenie_acknowledge",
    "normalize_opsgenie_close",
    "normalize_opsgenie_create",
    "normalize_pagerduty_change",
    "normalize_pagerduty_event",
    "opsgenie_accepted_body",
    "opsgenie_error_body",
    "opsgenie_fingerprint",
    "opsgenie_request_id",
    "pagerduty_accepted_body",
    "pagerduty_change_accepted_body",
    "pagerduty_error_body",
    "pagerduty_fingerprint",
    "parse_conditions",
    "stamped_only",
    "unescape_receiver",
]
