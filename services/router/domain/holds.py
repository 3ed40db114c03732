"""Why a due step waits: silences covering every firing alert of the incident (Alertmanager's
rule), or low urgency while nobody the step pages is within working hours."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from services.router.domain.firing import silencing
from services.router.domain.policy import RoutingDirectory
from services.router.domain.state import Escalation
from shared.events.notifications import EscalationHeld


def hold(
    escalation: Escalation,
    targets: tuple[str, ...],
    now: datetime,
    directory: RoutingDirectory,
    muted: Iterable[Mapping[str, str]],
) -> EscalationHeld | None:
    """Silences covering every firing alert, or low urgency outside working hours, hold a
    due step (same page ids); the hold lasts until the first of those silences ends."""
    silences = silencing(muted, now, directory)
    if silences:
        return EscalationHeld(
            incident_id=escalation.incident_id,
            at=now,
            until=min(silence.released_at for silence in silences),
            reason=f"every firing alert silenced, by {'; '.join(map(str, silences))}",
        )
    # Urgency stays the opening alert's: its rules rank the incident, not each alert.
    urgency = directory.urgency_of(escalation.labels)
    until = directory.step_release_at(targets, urgency, now)
    if until <= now:
        return None
    return EscalationHeld(
        incident_id=escalation.incident_id,
        at=now,
        until=until,
        reason=f"{urgency} urgency: nobody this step pages is within working hours",
    )
