"""`AlertGrouped` built without validation, for the hottest decisions: an alert joining an
incident, above all a repeat of a firing alert.

Every notification of every firing alert is recorded as an `AlertGrouped`; validating it costs
more than the rest of a repeat's decision. Its values here come from already validated objects
(the alert, the tracked state) and from the engine's own literals, so it is built as pydantic's
`model_construct` would, minus the per-field loop. A unit test holds it equal, field for field
and byte for byte, to the validated construction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from shared.alerts import Alert
from shared.events.incidents import AlertGrouped

_new = object.__new__
_set = object.__setattr__
_FIELDS = frozenset(AlertGrouped.model_fields)


def grouped(
    incident_id: str,
    alert: Alert,
    decision: Literal["grouped", "deduplicated", "inhibited"],
    at: datetime,
    rule: str,
    ruleset_version: str,
    reason: str,
    resources: list[str],
    receivers: list[str] | None = None,
) -> AlertGrouped:
    event = _new(AlertGrouped)
    values = {
        "rule": rule,
        "ruleset_version": ruleset_version,
        "reason": reason,
        "type": "AlertGrouped",
        "incident_id": incident_id,
        "alert": alert,
        "decision": decision,
        "at": at,
        "resources": resources,
        "source_fingerprint": None,
        "moved_from": None,
        "receivers": [] if receivers is None else receivers,
    }
    _set(event, "__dict__", values)
    _set(event, "__pydantic_fields_set__", _FIELDS)
    _set(event, "__pydantic_extra__", None)
    _set(event, "__pydantic_private__", None)
    return event
