"""`tocsin route test`'s text: the dry run of one alert, for people reading a terminal."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from services.cli.oncall_clock import in_utc, in_zone, length
from services.cli.route_dry_run import DryRun
from services.cli.route_timeline import Hold, PagePlan, StepPlan, TargetPlan
from services.router.config import ChannelConfig, ContactConfig, RouterConfig
from services.router.directory import ConfigDirectory
from services.router.domain.policy import Delivery
from services.router.domain.schedules import on_call_at
from services.router.domain.silences import silence_state
from services.router.domain.urgency import UrgencyPolicy

_JUST_BEFORE = timedelta(seconds=1)


def dry_run_lines(run: DryRun, config: RouterConfig) -> list[str]:
    labels = ", ".join(f'{name}="{run.labels[name]}"' for name in sorted(run.labels))
    lines = [f"Alert {{{labels}}}", f"Arrives {in_utc(run.at)}", "", "Routes:"]
    lines += [
        f"  {r.config_path} [{r.route_id}] -> {r.receiver}  group {r.group_key(run.labels)}"
        for r in run.routes
    ]
    lines.append(f"Receivers: {', '.join(run.receivers)}")
    lines.append(f"Escalation: {_policies_line(run)}")
    lines.append(f"Urgency: {_urgency_line(run, config.urgency)}")
    lines += _silence_lines(run)
    if run.threshold is not None:
        name, threshold = run.threshold
        lines.append(
            f"Threshold: correlation.rules[{name}] opens no incident, and pages nobody, until"
            f" {threshold.alerts} alerts of this group fire within {length(threshold.within)};"
            " the times below are as if it were reached on arrival"
        )
    if not run.steps:
        return [*lines, "Nobody would be paged."]
    group_wait = length(run.first_due - run.at)
    lines += ["", f"First step due {in_utc(run.first_due)} (group_wait {group_wait})"]
    for step in run.steps:
        lines += _step_lines(step, run, config)
    return lines


def _policies_line(run: DryRun) -> str:
    if not run.policies:
        return run.policy_reason
    names = ", ".join(policy.name for policy in run.policies)
    repeats = max(policy.repeat for policy in run.policies)
    steps = max(len(policy.steps) for policy in run.policies)
    again = f"then repeated {repeats} more time{'s' if repeats > 1 else ''}" if repeats else "once"
    return f"{names} ({run.policy_reason}); {steps} step{'s' if steps > 1 else ''}, {again}"


def _urgency_line(run: DryRun, policy: UrgencyPolicy) -> str:
    if run.urgency_rule is None:
        why = "the default"
    else:
        rule = policy.rules[run.urgency_rule]
        matchers = ", ".join(str(matcher) for matcher in rule.matchers)
        why = f"urgency.rules.{run.urgency_rule}: {matchers}"
    if run.urgency == "high":
        return f"high ({why}): pages go out at once"
    hours = policy.working_hours
    return f"low ({why}): people are paged only within working hours, {hours}, on their clock"


def _silence_lines(run: DryRun) -> list[str]:
    if not run.silences:
        return ["Silences: none match these labels"]
    lines = ["Silences matching these labels:"]
    for name, silence in run.silences:
        state = silence_state(silence, run.at)
        window = f"{in_utc(silence.starts_at)} to {in_utc(silence.ends_at)}"
        lines.append(f"  {name} ({state} on arrival, {window}): {silence}")
    return lines


def _step_lines(step: StepPlan, run: DryRun, config: RouterConfig) -> list[str]:
    lines = ["", f"Step {step.step + 1}, pass {step.repeat + 1}: due {in_utc(step.due_at)}"]
    lines += [f"  {_hold_line(hold, run)}" for hold in step.holds]
    if step.holds:
        lines.append(f"  fires {in_utc(step.fires_at)}")
    for target in step.targets:
        lines += _target_lines(target, step, config)
    if not any(target.pages for target in step.targets):
        lines.append("  => this step pages nobody (the router records NobodyPaged)")
    return lines


def _hold_line(hold: Hold, run: DryRun) -> str:
    if hold.silence is None:
        return (
            f"held until {in_utc(hold.until)}: low urgency, and from {in_utc(hold.since)} "
            "nobody it pages is within working hours"
        )
    name = next(name for name, known in run.silences if known is hold.silence)
    return f"held until {in_utc(hold.silence.ends_at)}: silenced by {name} {hold.silence}"


def _target_lines(target: TargetPlan, step: StepPlan, config: RouterConfig) -> list[str]:
    kind, _, name = target.target.partition(":")
    head = f"  {target.target}"
    if kind == "schedule":
        schedule = next((s for s in config.schedules if s.name == name), None)
        if schedule is None:
            return [f"{head}: no such schedule, reaches nobody"]
        answer = on_call_at(schedule, step.fires_at)
        reason = answer.reason.removeprefix("nobody: ")
        head += f": on call {answer.user or 'nobody'} ({reason})"
    if not target.pages:
        return [f"{head}: reaches nobody"]
    directory = ConfigDirectory(config)
    return [head] + [f"    {_page_line(page, step, directory)}" for page in target.pages]


def _page_line(page: PagePlan, step: StepPlan, directory: ConfigDirectory) -> str:
    delivery = Delivery(page.recipient, page.channel)
    via = f"{page.recipient} via {_contact(directory.contact_of(delivery))} [{page.channel}]"
    user = directory.user_of(delivery)
    if user is None:
        return f"{via}: at once"
    local = in_zone(page.sends_at, user.time_zone)
    if page.sends_at == step.fires_at:
        return f"{via}: at once ({local} for {user.name})"
    held = f"{via}: held until {in_utc(page.sends_at)} = {local} in {user.time_zone}"
    # Working hours that open exactly then explain the wait; otherwise they were already open
    # and the page went out at a handoff: an earlier on-call person was the one asleep.
    if directory.page_at(delivery, "low", page.sends_at - _JUST_BEFORE) == page.sends_at:
        return f"{held} (low urgency, outside {user.name}'s working hours)"
    return f"{held} (low urgency: the schedule hands over to {user.name} then, in working hours)"


def _contact(contact: ContactConfig | ChannelConfig | None) -> str:
    if contact is None:
        return "(unknown contact)"
    where = contact.address or (_host(contact.url) if contact.url else None)
    return f"{contact.type} {where}" if where else contact.type


def _host(url: str) -> str | None:
    """Only a URL's host and port: Slack and many webhook URLs carry their secret in the
    path, some in a `user:password@` before the host."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname
