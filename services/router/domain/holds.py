"""Why a due step waits, said for people to read: silences covering every firing alert of the
incident (Alertmanager's rule), or low urgency while people it pages are outside their working
hours (each named, with the time their working hours start on their own clock)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from services.router.domain.firing import silencing
from services.router.domain.incident_urgency import IncidentUrgency
from services.router.domain.policy import RoutingDirectory
from services.router.domain.recipients import StepPages, Waiting
from services.router.domain.state import Escalation
from shared.events.notifications import EscalationHeld


def silence_hold(
    escalation: Escalation,
    now: datetime,
    directory: RoutingDirectory,
    muted: Iterable[Mapping[str, str]],
) -> EscalationHeld | None:
    """Silences covering every firing alert hold a due step (same page ids) until the first of
    them ends."""
    silences = silencing(muted, now, directory)
    if not silences:
        return None
    return EscalationHeld(
        incident_id=escalation.incident_id,
        at=now,
        until=min(silence.released_at for silence in silences),
        reason=f"every firing alert silenced, by {'; '.join(map(str, silences))}",
        # A step held for some of its people first keeps the schedules it is done with.
        paged_schedules=sorted(escalation.paged_schedules),
    )


def urgency_hold(
    escalation: Escalation, now: datetime, pages: StepPages, ranked: IncidentUrgency
) -> EscalationHeld | None:
    """Hold the rest of a low-urgency step for the people outside their working hours."""
    if pages.until is None:
        return None
    until = pages.until
    reason = "low urgency: " + "; ".join(_starts(pages.waiting))
    if ranked.rises_at is not None and ranked.rises_at < until:
        until = ranked.rises_at
        reason += f"; looked at again at {_utc(until)}, when a silence of a high-urgency alert ends"
    elif until < min(w.release for w in pages.waiting):
        reason += f"; looked at again at {_utc(until)}, when a schedule hands over"
    return EscalationHeld(
        incident_id=escalation.incident_id,
        at=now,
        until=until,
        reason=reason,
        paged_schedules=sorted(pages.paged),
    )


def _starts(waiting: Iterable[Waiting]) -> list[str]:
    """Each person once: "alice's working hours start at 09:00 Europe/Paris (Wed 2026-11-25)"."""
    said: dict[str, str] = {}
    for w in waiting:
        local = w.release.astimezone(ZoneInfo(w.time_zone))
        when = f"{local:%H:%M} {w.time_zone} ({local:%a %Y-%m-%d})"
        said.setdefault(w.person, f"{w.person}'s working hours start at {when}")
    return list(said.values())


def _utc(at: datetime) -> str:
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
