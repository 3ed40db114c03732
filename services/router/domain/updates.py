"""Telling the channels an incident paged that it was acknowledged or resolved.

A Slack channel or a team's webhook that showed the page should not keep showing it as
unanswered: each channel that was paged about the incident (any step, any generation) gets
the change as a notification with the page's content and the new status, once per change,
under a deterministic id. People are never updated: a page wakes someone, an update must
not. Which changes a channel hears of is its `updates` setting (both by default).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from services.router.domain.facts import page_facts
from services.router.domain.policy import Delivery, RoutingDirectory
from services.router.domain.state import Escalation
from shared.events import NotificationRequested, deterministic_id
from shared.events.base import Event

Change = Literal["acknowledged", "resolved"]


def status_updates(
    escalation: Escalation,
    change: Change,
    by: str,
    why: str,
    now: datetime,
    directory: RoutingDirectory,
) -> list[Event]:
    """One notification of `change` (made `by` someone, or "" by Tocsin) per channel paged."""
    told: list[Event] = []
    for target, channel in escalation.paged:
        delivery = Delivery(target, channel)
        if change not in directory.updates_for(delivery):
            continue
        parts = (escalation.incident_id, escalation.generation, "update", change, target, channel)
        told.append(
            NotificationRequested(
                notification_id=str(deterministic_id(*parts)),
                incident_id=escalation.incident_id,
                domain=escalation.domain,
                target=target,
                channel=channel,
                requested_at=now,
                page={
                    **page_facts(escalation.facts),
                    "status": change,
                    "status_by": by,
                    "escalation_step": max(1, min(escalation.step, len(escalation.steps))),
                    "escalation_repeat": escalation.repeat,
                    "target": target,
                },
                reason=why,
            )
        )
    return told
