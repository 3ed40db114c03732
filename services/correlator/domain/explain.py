"""Words for decisions: durations and time differences as people read them."""

from __future__ import annotations

from datetime import timedelta

from services.correlator.domain.arrival import Arrival


def span(duration: timedelta) -> str:
    """`timedelta(seconds=40)` → `40 s`; `timedelta(minutes=90)` → `1 h 30 min`."""
    seconds = int(duration.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    hours, minutes, rest = seconds // 3600, seconds % 3600 // 60, seconds % 60
    parts = [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if minutes else []
    parts += [f"{rest} s"] if rest and not hours else []
    return " ".join(parts)


def relative(difference: timedelta) -> str:
    """How long before (positive) or after (negative) something else happened."""
    if not difference:
        return "at the same time"
    if difference > timedelta(0):
        return f"{span(difference)} earlier"
    return f"{span(-difference)} later"


def left_because(arrival: Arrival) -> str:
    """Why a recurring alert is not back in its incident (empty for any other arrival)."""
    if not arrival.leaving or arrival.because:
        return arrival.because
    return (
        f"{arrival.alert.alertname} recovered and fired again while the probable cause of"
        f" {arrival.leaving} kept firing, so that cause does not explain it; "
    )
