"""Events of the router and dispatcher: pages requested, delivered or failed."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, Field

from shared.events.base import Event
from shared.events.commands import CommandName


class NotificationRequested(Event):
    """A page to send. `notification_id` is deterministic: it is sent at most once."""

    type: Literal["NotificationRequested"] = "NotificationRequested"
    notification_id: str
    incident_id: str
    domain: str
    target: str
    channel: str
    requested_at: AwareDatetime
    page: dict[str, Any]
    reason: str

    def is_page(self) -> bool:
        """A page, not an acknowledged/resolved update to a channel paged before."""
        return bool(self.page.get("status", "triggered") == "triggered")


class NotificationSent(Event):
    type: Literal["NotificationSent"] = "NotificationSent"
    notification_id: str
    incident_id: str
    channel: str
    attempts: int
    sent_at: AwareDatetime


class NotificationFailed(Event):
    """Delivery gave up; the router falls back to the next escalation step."""

    type: Literal["NotificationFailed"] = "NotificationFailed"
    notification_id: str
    incident_id: str
    channel: str
    attempts: int
    reason: str
    failed_at: AwareDatetime


class EscalationStepFired(Event):
    """The router reached a step of an incident's escalation policy and requested its pages."""

    type: Literal["EscalationStepFired"] = "EscalationStepFired"
    incident_id: str
    policy: str
    step: int
    repeat: int
    generation: int
    at: AwareDatetime
    targets: list[str]
    reason: str


class NobodyPaged(Event):
    """Routing reached nobody: reported loudly instead of dropping the incident silently."""

    type: Literal["NobodyPaged"] = "NobodyPaged"
    incident_id: str
    at: AwareDatetime
    reason: str


class EscalationStarted(Event):
    """The router took on an incident; `policies` is the snapshot it will follow."""

    type: Literal["EscalationStarted"] = "EscalationStarted"
    incident_id: str
    domain: str
    policies: list[dict[str, Any]]
    facts: dict[str, Any]
    due_at: AwareDatetime
    reason: str
    # For the time-to-page, MTTA and MTTR metrics (absent from events of older versions).
    opened_at: AwareDatetime | None = None
    alert_received_at: AwareDatetime | None = None
    # The opening alert's labels, which silences and urgency rules match on.
    labels: dict[str, str] = {}
    # The incident opened flapping (`IncidentOpened.flapping_until`): `due_at` is this, and
    # the first page then goes out only once an alert of the incident fires.
    flapping_until: AwareDatetime | None = None


class EscalationHeld(Event):
    """A due step waits: a silence mutes the incident, or its urgency waits for working hours."""

    type: Literal["EscalationHeld"] = "EscalationHeld"
    incident_id: str
    at: AwareDatetime
    until: AwareDatetime
    reason: str
    # Schedules of the step whose on-call person is paged already: not looked up again when
    # the step is looked at again (a handoff meanwhile must not make it wait for the next).
    paged_schedules: list[str] = []


class EscalationRestarted(Event):
    """Escalation begins again (a snooze ended), in a new generation: its pages get new ids,
    so they are sent even though earlier ones were. From the first step, fired at once; or,
    with an assignee (who is paged at once), from `step` of pass `repeat`, due at `due_at`, as
    a reassignment continues."""

    type: Literal["EscalationRestarted"] = "EscalationRestarted"
    incident_id: str
    generation: int
    at: AwareDatetime
    reason: str
    step: int = 0
    repeat: int = 0
    due_at: AwareDatetime | None = None


class EscalationWidened(Event):
    """An alert joined the incident by topology from a route with other receivers: their
    escalation policies (snapshotted now) run alongside the incident's from here on.

    In the round it joined, an added policy's step n runs with the incident's step
    n + `step_offset` (0-based): its first step paged at the join, its next ones come with the
    incident's next ones; a new round (a repeat, a restart from the first step) aligns all
    policies again. Events written before the field existed ran aligned (0)."""

    type: Literal["EscalationWidened"] = "EscalationWidened"
    incident_id: str
    at: AwareDatetime
    receivers: list[str]
    policies: list[dict[str, Any]]
    reason: str
    step_offset: int = Field(default=0, ge=0)


class IncidentSnoozed(Event):
    type: Literal["IncidentSnoozed"] = "IncidentSnoozed"
    incident_id: str
    by: str
    until: AwareDatetime
    at: AwareDatetime


class IncidentReassigned(Event):
    """The assignee is paged at once (in `generation`); escalation goes on if nobody acks."""

    type: Literal["IncidentReassigned"] = "IncidentReassigned"
    incident_id: str
    by: str
    assignee: str
    generation: int
    at: AwareDatetime


class IncidentNoteAdded(Event):
    type: Literal["IncidentNoteAdded"] = "IncidentNoteAdded"
    incident_id: str
    by: str
    text: str
    at: AwareDatetime


class IncidentCommanderAssigned(Event):
    type: Literal["IncidentCommanderAssigned"] = "IncidentCommanderAssigned"
    incident_id: str
    by: str
    commander: str
    at: AwareDatetime


class CommandApplied(Event):
    """The router applied a command; the facts it caused precede this verdict on the log."""

    type: Literal["CommandApplied"] = "CommandApplied"
    command_id: str
    incident_id: str
    command: CommandName
    actor: str
    at: AwareDatetime


class CommandRejected(Event):
    """A command that could not apply (e.g. it lost a race with a resolve): said aloud."""

    type: Literal["CommandRejected"] = "CommandRejected"
    command_id: str
    incident_id: str
    command: CommandName
    actor: str
    reason: str
    at: AwareDatetime


# Every event type of this module; the envelope codec decodes exactly these.
EVENTS: tuple[type[Event], ...] = (
    NotificationRequested,
    NotificationSent,
    NotificationFailed,
    EscalationStepFired,
    NobodyPaged,
    EscalationStarted,
    EscalationHeld,
    EscalationRestarted,
    EscalationWidened,
    IncidentSnoozed,
    IncidentReassigned,
    IncidentNoteAdded,
    IncidentCommanderAssigned,
    CommandApplied,
    CommandRejected,
)
