"""Whom a due step pages now and whom later: low urgency is decided person by person.

High urgency pages every recipient at once. Low urgency pages a person within working hours
(on their own wall clock) at once; a person outside them waits for their next start of working
hours, or for a handoff of the schedule that named them if that comes first (whoever takes over
may be paged sooner). Channels have no working hours and wake nobody: they go out with the
step's first page to a person, or at once on a step that pages no person. So a step whose
people are all asleep waits whole, channels included.

Targets are resolved each time the step is looked at, so a schedule's page goes to whoever is
on call when it is sent; a page already requested in this step is never requested again. A
schedule whose on-call person has been paged in this step is done: it is not looked up again,
so a handoff while others of the step wait does not make the step wait for the next person.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from services.router.domain.policy import Delivery, RoutingDirectory
from services.router.domain.urgency import Urgency


@dataclass(frozen=True)
class Waiting:
    """A person's page held until `release`, the next start of their working hours."""

    target: str
    delivery: Delivery
    person: str
    time_zone: str
    release: datetime


@dataclass(frozen=True)
class StepPages:
    now: tuple[tuple[str, Delivery], ...]  # (target, page) to request at once, each new
    waiting: tuple[Waiting, ...]  # in the order the step lists its targets
    until: datetime | None  # when to look at the step again; None: all its pages are out
    reached: bool  # the step has paged somebody, now or before
    # Schedule targets whose on-call person is paged (now or before): not looked up again.
    paged: frozenset[str] = frozenset()


def step_pages(
    targets: Sequence[str],
    urgency: Urgency,
    now: datetime,
    directory: RoutingDirectory,
    requested: Callable[[Delivery], bool],
    paged: frozenset[str] = frozenset(),
) -> StepPages:
    """Split the step's pages not yet requested into those due now and those that wait;
    `paged`: the step's schedules done already (`StepPages.paged` of its last look)."""
    looked = [target for target in targets if target not in paged]
    resolved = [(target, d) for target in looked for d in directory.deliveries_for(target, now)]
    fresh: dict[Delivery, str] = {}  # each page once, under the first target naming it
    for target, delivery in resolved:
        if not requested(delivery):
            fresh.setdefault(delivery, target)
    late = {d: w for d, t in fresh.items() if (w := _waiting(t, d, urgency, now, directory))}
    people = [d for _, d in resolved if directory.user_of(d) is not None]
    # Paged before, or awake.
    started = bool(paged) or not people or any(d not in late for d in people)
    if not started:
        until = directory.step_release_at(looked, urgency, now)
        if until > now:
            return StepPages((), tuple(late.values()), until, reached=False)
    due = tuple((t, d) for d, t in fresh.items() if d not in late)
    out = {d for _, d in due} | {d for _, d in resolved if d not in fresh}
    return StepPages(
        now=due,
        waiting=tuple(late.values()),
        until=_look_again(late.values(), urgency, now, directory),
        reached=bool(paged) or bool(due) or len(fresh) < len({d for _, d in resolved}),
        paged=paged | {t for t, d in resolved if t.startswith("schedule:") and d in out},
    )


def _waiting(
    target: str, delivery: Delivery, urgency: Urgency, now: datetime, directory: RoutingDirectory
) -> Waiting | None:
    person = directory.user_of(delivery)
    if person is None:
        return None
    release = directory.page_at(delivery, urgency, now)
    if release <= now:
        return None
    return Waiting(target, delivery, person.name, person.time_zone, release)


def _look_again(
    waiting: Iterable[Waiting], urgency: Urgency, now: datetime, directory: RoutingDirectory
) -> datetime | None:
    """The first release of a waiting person, or an earlier handoff of a schedule naming one."""
    return min((_next_look(w, urgency, now, directory) for w in waiting), default=None)


def _next_look(
    waiting: Waiting, urgency: Urgency, now: datetime, directory: RoutingDirectory
) -> datetime:
    handoff = directory.step_release_at([waiting.target], urgency, now)
    return min(waiting.release, handoff) if handoff > now else waiting.release
