"""`tocsin route test`'s dry run: the escalation an alert would start, step by step, unsent.

It replays the router engine's timeline without its events: the first step fires when the
group wait of the first matched route is over, each later step its own delay after the one
before, and each repeat of the policy `max(first step's delay, 1m)` after the last step
(`_advance` in `services/router/domain/state.py`). Targets are resolved at each firing
instant, so a schedule hands over at its wall-clock time across DST changes. On top it
applies what the engine is to apply:

* an active silence holds a step, paging nobody, until the silence has ended (`released_at`);
* a low-urgency step in which no person may be paged now (outside everyone's working hours)
  is held until the first of them may be, or until one of its schedules hands over
  (`step_release_at`); channels alone never hold it.

After a hold, the step's targets are resolved again at the new instant, and the holds are
checked again, until the step fires. A person still outside working hours when it fires (on
a step that also pages someone within theirs) gets the page at their next working hours
(`page_at`); everything else in a firing step goes out at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.router.directory import ConfigDirectory
from services.router.domain.policy import EscalationPolicy, EscalationStep
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
    fires_at: datetime  # later than due_at when the step was held
    holds: tuple[Hold, ...]  # in order
    targets: tuple[TargetPlan, ...]


def plan_escalation(
    directory: ConfigDirectory,
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
        if index + 1 < len(steps):
            index += 1
            due = plan.fires_at + steps[index].delay
        elif repeat < repeats:
            index, repeat = 0, repeat + 1
            due = plan.fires_at + max(steps[0].delay, _REPEAT_FLOOR)
        else:
            return plans


def _plan_step(
    directory: ConfigDirectory,
    step: EscalationStep,
    labels: Mapping[str, str],
    urgency: Urgency,
    position: tuple[int, int, datetime],
) -> StepPlan:
    index, repeat, due = position
    fires_at, holds = due, list[Hold]()
    for _ in range(MAX_HOLDS):
        silence = directory.silence_for(labels, fires_at)
        if silence is not None:
            until = silence.released_at
        else:
            until = directory.step_release_at(step.targets, urgency, fires_at)
        if until == fires_at:
            break
        if silence is None and holds and holds[-1].silence is None:
            holds[-1] = Hold(holds[-1].since, until, None)  # one wait across several handoffs
        else:
            holds.append(Hold(fires_at, until, silence))
        fires_at = until
    targets = tuple(
        TargetPlan(
            target,
            tuple(
                PagePlan(d.recipient, d.channel, directory.page_at(d, urgency, fires_at))
                for d in directory.deliveries_for(target, fires_at)
            ),
        )
        for target in step.targets
    )
    return StepPlan(index, repeat, due, fires_at, tuple(holds), targets)
