"""`tocsin route test`'s dry run: the escalation an alert would start, step by step, unsent.

It replays the router engine's timeline without its events: the first step fires when the
group wait of the first matched route is over, and each later step its own delay after the one
before is done; each repeat of the policy comes `max(first step's delay, 1m)` after the last
step is done (`_advance` in `services/router/domain/state.py`). Targets are resolved at each
instant the step is looked at, so a schedule hands over at its wall-clock time across DST
changes. On top it applies what the engine applies (`services/router/domain/paging.py`):

* an active silence holds a step, paging nobody, until the silence has ended (`released_at`);
* a low-urgency step in which no person may be paged now (outside everyone's working hours)
  is held whole, channels too, until the first of them may be, or until one of its schedules
  hands over (`step_release_at`); channels alone never hold it;
* once it fires, each person still outside working hours gets the page at the start of their
  own working hours (or when their schedule hands over, to whoever is on call then), and the
  step is done when its last page has gone out (`recipients.step_pages`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.router.domain.policy import (
    Delivery,
    EscalationPolicy,
    EscalationStep,
    RoutingDirectory,
)
from services.router.domain.recipients import Waiting, step_pages
from services.router.domain.silences import Silence
from services.router.domain.snapshot import merged_steps
from services.router.domain.urgency import Urgency

# The engine's floor between the last step of a pass and the first of the next.
_REPEAT_FLOOR = timedelta(minutes=1)
# A low-urgency step whose schedules keep handing it to people outside their working hours is
# fired anyway after this many holds, so the dry run always ends.
MAX_HOLDS = 1000


@dataclass(frozen=True)
class PagePlan:
    recipient: str
    channel: str  # the dispatcher's channel key, e.g. `user/alice/0` or `console`
    sends_at: datetime  # the step's firing instant, or later if urgency holds the page


@dataclass(frozen=True)
class TargetPlan:
    target: str  # as written in the policy: `schedule:primary`, `user:bob`, `channel:console`
    pages: tuple[PagePlan, ...]


@dataclass(frozen=True)
class Hold:
    """The step waits from `since` until `until`: silenced, or (silence None) low urgency."""

    since: datetime
    until: datetime
    silence: Silence | None


@dataclass(frozen=True)
class StepPlan:
    step: int  # 0-based, as in the engine's events
    repeat: int  # 0 on the first pass
    due_at: datetime  # when the engine's timer comes due
    fires_at: datetime  # its first pages: later than due_at when the step was held
    holds: tuple[Hold, ...]  # in order
    targets: tuple[TargetPlan, ...]
    # When it ends: its last page, later than fires_at when a person waited for their
    # working hours, or the handoff that left nobody to wait for. The next step's delay
    # counts from here.
    done_at: datetime | None = None


def plan_escalation(
    directory: RoutingDirectory,
    policies: list[EscalationPolicy],
    labels: Mapping[str, str],
    first_due: datetime,
) -> list[StepPlan]:
    """Every step (and repeat) the policies would fire, and who each one pages when."""
    steps = merged_steps(tuple(policies))
    if not steps:
        return []
    repeats = max(policy.repeat for policy in policies)
    urgency = directory.urgency_of(labels)
    plans: list[StepPlan] = []
    index, repeat, due = 0, 0, first_due
    while True:
        plan = _plan_step(directory, steps[index], labels, urgency, (index, repeat, due))
        plans.append(plan)
        done = plan.done_at or plan.fires_at
        if index + 1 < len(steps):
            index += 1
            due = done + steps[index].delay
        elif repeat < repeats:
            index, repeat = 0, repeat + 1
            due = done + max(steps[0].delay, _REPEAT_FLOOR)
        else:
            return plans


def _plan_step(
    directory: RoutingDirectory,
    step: EscalationStep,
    labels: Mapping[str, str],
    urgency: Urgency,
    position: tuple[int, int, datetime],
) -> StepPlan:
    index, repeat, due = position
    at, holds = due, list[Hold]()
    sends: dict[Delivery, tuple[str, datetime]] = {}  # page -> (target, when it goes out)
    fires_at: datetime | None = None
    waiting: tuple[Waiting, ...] = ()
    paged: frozenset[str] = frozenset()  # the step's schedules done (see `step_pages`)
    for _ in range(MAX_HOLDS):
        silence = directory.silence_for(labels, at)
        if silence is not None:
            if fires_at is None:
                holds.append(Hold(at, silence.released_at, silence))
            at = silence.released_at
            continue
        pages = step_pages(step.targets, urgency, at, directory, sends.__contains__, paged)
        waiting, paged = pages.waiting, pages.paged
        sends.update((delivery, (target, at)) for target, delivery in pages.now)
        if fires_at is None and (pages.now or pages.reached or pages.until is None):
            fires_at = at
        if pages.until is None:
            break
        if fires_at is None:
            _hold_for_urgency(holds, at, pages.until)
        at = pages.until
    else:  # still waiting: say when each of them would get their page
        sends.update((w.delivery, (w.target, w.release)) for w in waiting)
    fired = fires_at or at
    # The step ends at its last look (`at`): its last page, or a handoff that left nobody
    # new to page (the schedule back to someone paged already), as the engine ends it.
    done = max((when for _, when in sends.values()), default=fired)
    targets = _targets(step, sends)
    return StepPlan(index, repeat, due, fired, tuple(holds), targets, max(done, fired, at))


def _targets(
    step: EscalationStep, sends: dict[Delivery, tuple[str, datetime]]
) -> tuple[TargetPlan, ...]:
    return tuple(
        TargetPlan(
            target,
            tuple(
                PagePlan(d.recipient, d.channel, at) for d, (t, at) in sends.items() if t == target
            ),
        )
        for target in step.targets
    )


def _hold_for_urgency(holds: list[Hold], since: datetime, until: datetime) -> None:
    if holds and holds[-1].silence is None:
        holds[-1] = Hold(holds[-1].since, until, None)  # one wait across several handoffs
    else:
        holds.append(Hold(since, until, None))
