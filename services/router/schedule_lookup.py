"""Who is on call on a named schedule, for the routing directory."""

from __future__ import annotations

from datetime import datetime

from services.router.config import RouterConfig
from services.router.directory import OnCallLookup
from services.router.domain.schedules import on_call_at


def on_call_lookup(config: RouterConfig) -> OnCallLookup:
    by_name = {schedule.name: schedule for schedule in config.schedules}

    def lookup(name: str, at: datetime) -> str | None:
        schedule = by_name.get(name)
        return on_call_at(schedule, at).user if schedule is not None else None

    return lookup
