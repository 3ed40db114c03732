"""On-call schedules: config models and pure functions answering who is on call when.

Start with `resolve` (the public questions), then `rotation` (one layer on its own) and
`wallclock` (the DST rule). Nothing here reads the clock or does I/O: instants are passed in.
"""

from services.router.domain.schedules.model import (
    OVERRIDE_SOURCE,
    Layer,
    Override,
    Restriction,
    Schedule,
    ScheduleList,
    parse_schedules,
)
from services.router.domain.schedules.resolve import (
    DEFAULT_HORIZON,
    OnCall,
    Shift,
    gaps,
    on_call_at,
    shifts,
)

__all__ = [
    "DEFAULT_HORIZON",
    "OVERRIDE_SOURCE",
    "Layer",
    "OnCall",
    "Override",
    "Restriction",
    "Schedule",
    "ScheduleList",
    "Shift",
    "gaps",
    "on_call_at",
    "parse_schedules",
    "shifts",
]
