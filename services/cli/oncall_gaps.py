"""`tocsin oncall gaps`: when would an escalation policy reach nobody at all?

A policy reaches nobody at an instant when none of its steps has a user, team or channel target
that delivers (a known user with a contact method, a configured channel) and every schedule it
names has nobody on call who has a contact method. Schedules that do not exist count as never
covered. A later step covering an earlier step's gap closes it: the policy still reaches someone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from services.cli.oncall_clock import in_utc, in_zone, length, table
from services.router.config import PolicyConfig, RouterConfig
from services.router.directory import ConfigDirectory
from services.router.domain.schedules import gaps

Interval = tuple[datetime, datetime]
UTC_ZONE = ZoneInfo("UTC")


@dataclass(frozen=True)
class PolicyGaps:
    policy: str
    gaps: list[Interval]
    zone: ZoneInfo  # for display: the zone of the policy's first schedule, else UTC
    covered_by: str | None  # a target that always delivers, if any (then there are no gaps)


def policy_gaps(config: RouterConfig, start: datetime, end: datetime) -> list[PolicyGaps]:
    """For each escalation policy, the intervals within [start, end) in which it reaches nobody."""
    return [_one_policy(config, policy, start, end) for policy in config.escalation_policies]


def _one_policy(
    config: RouterConfig, policy: PolicyConfig, start: datetime, end: datetime
) -> PolicyGaps:
    directory = ConfigDirectory(config)
    targets = list(dict.fromkeys(target for step in policy.steps for target in step.notify))
    by_name = {schedule.name: schedule for schedule in config.schedules}
    named = [t.partition(":")[2] for t in targets if t.startswith("schedule:")]
    schedules = [by_name[name] for name in named if name in by_name]
    zone = schedules[0].zone if schedules else UTC_ZONE
    static = [
        t for t in targets if not t.startswith("schedule:") and directory.deliveries_for(t, start)
    ]
    if static:
        return PolicyGaps(policy.name, [], zone, static[0])
    uncovered: list[Interval] = [(start, end)] if start < end else []

    def reachable(user: str) -> bool:
        # Someone on call with no contact method is paged nowhere: as good as nobody.
        return bool(directory.deliveries_for(f"user:{user}", start))

    # An unknown schedule covers nothing, so it takes nothing away from the gaps.
    for schedule in schedules:
        uncovered = intersect(uncovered, gaps(schedule, start, end, reachable=reachable))
    return PolicyGaps(policy.name, uncovered, zone, None)


def intersect(first: list[Interval], second: list[Interval]) -> list[Interval]:
    """The intervals covered by both sorted, disjoint half-open interval lists."""
    both: list[Interval] = []
    i = j = 0
    while i < len(first) and j < len(second):
        lo = max(first[i][0], second[j][0])
        hi = min(first[i][1], second[j][1])
        if lo < hi:
            both.append((lo, hi))
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return both


def gaps_lines(found: list[PolicyGaps], start: datetime, end: datetime) -> list[str]:
    lines = [f"Gaps from {in_utc(start)} to {in_utc(end)}:"]
    if not found:
        lines.append("  no escalation policies configured")
    for result in found:
        lines += _policy_lines(result)
    return lines


def _policy_lines(result: PolicyGaps) -> list[str]:
    if result.covered_by is not None:
        return [f"{result.policy}: no gaps (always reaches {result.covered_by})"]
    if not result.gaps:
        return [f"{result.policy}: no gaps"]
    count = len(result.gaps)
    head = f"{result.policy}: {count} gap{'s' if count > 1 else ''} (times in {result.zone.key})"
    rows = [
        (in_zone(lo, result.zone), in_zone(hi, result.zone), length(hi - lo))
        for lo, hi in result.gaps
    ]
    return [head, *table(("FROM", "UNTIL", "LENGTH"), rows, indent="  ")]
