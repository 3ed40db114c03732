"""Receivers an incident gains when an alert of another route joins it by topology.

The correlator names them on the `AlertGrouped` (those the incident did not page yet): in
Alertmanager that alert's own route would notify them. Their escalation policies, snapshotted
now, run alongside the incident's, merged step by step as `continue` routes' are. If the
incident's step of this round has paged already, the added policies' first step pages at
once (their people have heard nothing) and their next steps come with the incident's next
ones (joining at its step 3, their step 2 comes with its step 3); before that, their first
step pages with the incident's. Under the ids of this round's first step, so a person both
policies name is not paged twice. Nothing pages at once while the incident is acknowledged,
snoozed or held (a silence, low urgency), nor when a silence covers the joining alert, nor
when all the added people are outside their working hours for a low-urgency incident: their
first step then comes with the incident's pending step. When only some are, those within
their hours are paged at once, under the ids of the incident's pending step, and the first
step comes with that step for the others (paged when their hours start, as a held step's
people are), not again for them. An escalation that had run out of
steps goes on with the added ones. A new round (a repeat, a restart from the first step)
runs every policy from its first step, aligned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from services.router.domain.facts import updated_facts
from services.router.domain.incident_urgency import incident_urgency
from services.router.domain.paging import notification_id, requests
from services.router.domain.policy import Delivery, EscalationPolicy, RoutingDirectory
from services.router.domain.recipients import step_pages
from services.router.domain.snapshot import merged_steps, policy_to_dict
from services.router.domain.state import Escalation, widen_escalation
from shared.events import AlertGrouped, NobodyPaged
from shared.events.base import Event
from shared.events.notifications import EscalationWidened


def widen(
    escalation: Escalation,
    joined: AlertGrouped,
    now: datetime,
    directory: RoutingDirectory,
    paging: Sequence[Mapping[str, str]] = (),
) -> tuple[list[Event], Escalation]:
    """The events widening the escalation to the receivers `joined` adds (none if their
    policies run already), and the escalation as they leave it. `paging`: the labels of the
    incident's other firing alerts, which rank its urgency with the joining one's."""
    added = _added_policies(escalation, joined.receivers, directory)
    if not added:
        return [], escalation
    names = ", ".join(p.name for p in added)
    alert = joined.alert
    first, whole = _first_step_now(escalation, added, joined, now, directory, paging)
    # Their next steps come with the incident's next ones; their first one, unless paged now
    # in whole, with the incident's pending step (which pages those still waiting for their
    # working hours, when they start, and not again those paged now).
    offset = max(escalation.step - 1, 0) if whole else escalation.step
    widened = EscalationWidened(
        incident_id=escalation.incident_id,
        at=now,
        receivers=list(joined.receivers),
        policies=[policy_to_dict(p) for p in added],
        reason=(
            f"{alert.alertname} ({alert.fingerprint}) joined by {joined.rule}; its route's "
            f"receivers {', '.join(joined.receivers)} add {names}"
            + _from_step(offset, whole, escalation.step)
        ),
        step_offset=offset,
    )
    wider = replace(escalation)  # as the fold leaves it
    widen_escalation(wider, added, offset, now)
    return [widened, *first], wider


def _from_step(offset: int, whole: bool, step: int) -> str:
    """How the added policies' steps line up with the incident's, said in the reason: their
    next step (2 if their first paged now in whole) with the incident's pending one."""
    if not offset:
        return ""
    return f"; their step {2 if whole else 1} comes with the incident's step {step + 1}"


def _added_policies(
    escalation: Escalation, receivers: list[str], directory: RoutingDirectory
) -> tuple[EscalationPolicy, ...]:
    running = {p.name for p in escalation.policies}
    added: dict[str, EscalationPolicy] = {}
    for receiver in receivers:
        policy = directory.policy_for(receiver)
        if policy is not None and policy.name not in running:
            added.setdefault(policy.name, policy)
    return tuple(added.values())


def _first_step_now(
    escalation: Escalation,
    added: tuple[EscalationPolicy, ...],
    joined: AlertGrouped,
    now: datetime,
    directory: RoutingDirectory,
    paging: Sequence[Mapping[str, str]],
) -> tuple[list[Event], bool]:
    """The pages of the added policies' first step, if the incident's step of this round
    paged already (their people have heard nothing); none before that, nor on hold. And
    whether that pages the step in whole: not when some of its people wait for their working
    hours (a low-urgency incident). Those paged now are then paged under the ids of the
    incident's pending step, with which the first step comes again for the others."""
    paged_this_round = escalation.step > 0 or escalation.due_at is None
    if not paged_this_round or escalation.status != "triggered" or escalation.held:
        return [], False
    labels = joined.alert.labels
    if directory.silence_for(labels, now) is not None:
        return [], False
    steps = merged_steps(added)
    if not steps:
        return [], False
    targets = steps[0].targets
    first, pending = (0, escalation.repeat), (escalation.step, escalation.repeat)

    def requested(delivery: Delivery) -> bool:
        return any(
            notification_id(escalation, k, delivery) in escalation.requested
            for k in (first, pending)
        )

    # The incident's urgency: a warning joining a critical incident leaves it high.
    urgency = incident_urgency([labels, *paging], now, directory).urgency
    pages = step_pages(targets, urgency, now, directory, requested)
    why = f"{joined.alert.alertname} joined: first step of {', '.join(p.name for p in added)}"
    telling = replace(escalation, facts=updated_facts(escalation.facts, joined))  # page says it
    key = pending if pages.waiting else first
    asked = requests(telling, [(d, why) for _, d in pages.now], now, key)
    if pages.reached or pages.waiting:
        return asked, bool(asked) and not pages.waiting
    reason = f"{', '.join(targets)}, first step of {', '.join(p.name for p in added)}, reach nobody"
    return [*asked, NobodyPaged(incident_id=escalation.incident_id, at=now, reason=reason)], True
