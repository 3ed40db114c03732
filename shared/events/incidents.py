"""Events written by the correlator: incident lifecycle and every grouping decision.

`RulesetActivated` is the one input here: the rule reload endpoint writes it to every partition
of `tocsin.alerts` and of `tocsin.incidents`, so the correlator and the router each switch to
the new config at a fixed point of their own input log.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import AwareDatetime

from shared.alerts import Alert
from shared.events.base import Event

Priority = Literal["P1", "P2", "P3", "P4", "P5"]
ResolvePolicy = Literal["all_resolved", "manual"]


class Decision(Event):
    """Explainability fields every correlator decision carries."""

    rule: str
    ruleset_version: str
    reason: str


class IncidentOpened(Decision):
    type: Literal["IncidentOpened"] = "IncidentOpened"
    incident_id: str
    domain: str
    title: str
    priority: Priority
    receivers: list[str]
    group_key: str
    opened_at: AwareDatetime
    # The router holds the first page this long so alerts of the same problem join it.
    notify_after: AwareDatetime
    alert: Alert
    # Topology resources the alert names, e.g. `host:node-7`, `service:payments-api`.
    resources: list[str] = []
    # Snapshotted when the incident opens: a later rule reload does not change them.
    resolve_policy: ResolvePolicy = "all_resolved"
    resolve_grace: timedelta = timedelta(minutes=5)
    # Set when the opening alert left another incident (a released symptom, or an alert that
    # recovered and fired again apart from its old incident's cause).
    moved_from: str | None = None
    # Opened by an alert flapping across incidents: the first page waits until then, and
    # goes out only if an alert of the incident fires (the incidents before it were paged).
    flapping_until: AwareDatetime | None = None


class AlertGrouped(Decision):
    """An alert joined an open incident (also used for repeats and suppressed symptoms)."""

    type: Literal["AlertGrouped"] = "AlertGrouped"
    incident_id: str
    alert: Alert
    decision: Literal["grouped", "deduplicated", "inhibited"]
    at: AwareDatetime
    resources: list[str] = []
    # `inhibited`: the firing alert that mutes this one.
    source_fingerprint: str | None = None
    # Set when the alert left another incident (an inhibited target moved before its page, a
    # symptom following its source or released).
    moved_from: str | None = None
    # Receivers of the alert's own route the incident did not page yet (it joined another
    # group's incident by topology): the router pages them too.
    receivers: list[str] = []


class IncidentPriorityChanged(Decision):
    type: Literal["IncidentPriorityChanged"] = "IncidentPriorityChanged"
    incident_id: str
    priority: Priority
    at: AwareDatetime


class IncidentAcknowledged(Event):
    type: Literal["IncidentAcknowledged"] = "IncidentAcknowledged"
    incident_id: str
    by: str
    at: AwareDatetime


class IncidentResolved(Decision):
    type: Literal["IncidentResolved"] = "IncidentResolved"
    incident_id: str
    resolved_at: AwareDatetime
    by: str | None = None
    # The incident's correlation domain, the key its events are written under (absent from
    # events of older versions).
    domain: str | None = None
    # The `ResolveIncident` command that resolved it, if one did: a retry of that command
    # (the same idempotency key) is answered as applied.
    command_id: str | None = None
    # When its last alert resolved, for an incident resolved once its grace ran out after
    # that: where the outage ended (MTTR), `resolved_at` being when Tocsin stopped waiting.
    alerts_resolved_at: AwareDatetime | None = None


class AlertResolved(Decision):
    """An alert of an incident stopped firing (sent resolved, or its end time passed)."""

    type: Literal["AlertResolved"] = "AlertResolved"
    incident_id: str
    fingerprint: str
    at: AwareDatetime


class AlertHeld(Decision):
    """An alert waits for its group to reach a rule's threshold; nothing is paged yet."""

    type: Literal["AlertHeld"] = "AlertHeld"
    domain: str
    group_key: str
    alert: Alert
    at: AwareDatetime
    held: int  # distinct alerts of the group held within the window, this one included
    needed: int
    within: timedelta


class AlertHoldEnded(Decision):
    """A held alert left the hold without an incident: resolved, or its window passed."""

    type: Literal["AlertHoldEnded"] = "AlertHoldEnded"
    domain: str
    group_key: str
    fingerprint: str
    at: AwareDatetime


class IncidentProbableCauseChanged(Decision):
    """A likelier root cause joined: more upstream, or of a lower layer."""

    type: Literal["IncidentProbableCauseChanged"] = "IncidentProbableCauseChanged"
    incident_id: str
    fingerprint: str
    alertname: str
    resource: str | None = None
    at: AwareDatetime


class IncidentFlapping(Decision):
    """An alert of the incident keeps resolving and firing again; it stays one incident."""

    type: Literal["IncidentFlapping"] = "IncidentFlapping"
    incident_id: str
    fingerprint: str
    flaps: int
    within: timedelta
    at: AwareDatetime


class HeartbeatMissed(Decision):
    """A heartbeat stayed silent past its interval: `alert` (HeartbeatMissing) fires next."""

    type: Literal["HeartbeatMissed"] = "HeartbeatMissed"
    name: str
    last_seen_at: AwareDatetime
    interval: timedelta
    at: AwareDatetime
    alert: Alert


class InputDropped(Decision):
    """An input that changes nothing (resolve of an unknown alert, command on an unknown
    incident, unconfigured heartbeat...), said aloud instead of ignored."""

    type: Literal["InputDropped"] = "InputDropped"
    input_type: str
    at: AwareDatetime
    fingerprint: str | None = None
    incident_id: str | None = None
    command_id: str | None = None  # of the command it refuses, when the input was one


class RulesetActivated(Event):
    """Input: from this point of the partition on, decide with the rule set in `config`."""

    type: Literal["RulesetActivated"] = "RulesetActivated"
    version: str
    config: str  # the whole Tocsin YAML config file, as text
    activated_at: AwareDatetime
    source: str = ""


def superseded(activated_at: datetime, running_since: datetime | None) -> bool:
    """Whether an activation at `activated_at` is older than the one running since
    `running_since` (a process's startup pin read after a reload): it then changes nothing,
    and the newer one stays. The correlator, router and dispatcher all decide so."""
    return running_since is not None and activated_at < running_since


class RulesetApplied(Decision):
    """The correlator switched rule sets at this point of its input."""

    type: Literal["RulesetApplied"] = "RulesetApplied"
    version: str
    previous_version: str
    at: AwareDatetime


# Every event type of this module; the envelope codec decodes exactly these.
EVENTS: tuple[type[Event], ...] = (
    IncidentOpened,
    AlertGrouped,
    AlertResolved,
    IncidentPriorityChanged,
    IncidentAcknowledged,
    IncidentResolved,
    AlertHeld,
    AlertHoldEnded,
    IncidentProbableCauseChanged,
    IncidentFlapping,
    HeartbeatMissed,
    InputDropped,
    RulesetActivated,
    RulesetApplied,
)
