"""The figures of one replay: notifications, alerts, incidents, reductions, rules."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from services.correlator.domain.resolution import OCCURRENCE_STARTS
from shared.alerts import Alert
from shared.events import IncidentOpened
from shared.events.base import Event
from shared.events.incidents import HeartbeatMissed

# (payload position in received_at order, alert index in the payload)
NotificationKey = tuple[int, int]


class Outcome(NamedTuple):
    """What the engine decided about one alert notification."""

    incident_id: str | None
    decision: str
    reason: str


@dataclass
class ReplayTally:
    keep_assignments: bool = False
    notifications: int = 0
    incidents: int = 0
    ticks: int = 0
    check_ins: int = 0  # heartbeat check-ins fed
    heartbeats_missed: int = 0
    fingerprints: set[str] = field(default_factory=set)
    occurrences: set[tuple[str, datetime]] = field(default_factory=set)
    decisions: Counter[str] = field(default_factory=Counter)
    incidents_per_rule: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    # Skip reason -> position (in received_at order) of the first payload skipped for it.
    first_skipped: dict[str, int] = field(default_factory=dict)
    # Firing notification -> the incident it joined (only with keep_assignments, for --compare).
    assignments: dict[NotificationKey, str] = field(default_factory=dict)

    def skip(self, reason: str, position: int, count: int = 1) -> None:
        self.skipped[reason] += count
        self.first_skipped.setdefault(reason, position)

    def count(
        self, position: int, index: int, alert: Alert, outcome: Outcome, decided: Sequence[Event]
    ) -> None:
        self.notifications += 1
        self.decisions[outcome.decision] += 1
        if alert.status == "firing":
            self.fingerprints.add(alert.fingerprint)
            # A repeat is the same occurrence, whatever start a sender's clock gave it
            # (PagerDuty, Opsgenie, Tocsin's JSON), unless the source marks a new one by it.
            if outcome.decision != "deduplicated" or alert.source in OCCURRENCE_STARTS:
                self.occurrences.add((alert.fingerprint, alert.starts_at))
            if self.keep_assignments and outcome.incident_id is not None:
                self.assignments[(position, index)] = outcome.incident_id
        self.count_opened(decided)

    def count_opened(self, decided: Sequence[Event]) -> None:
        """The incidents among these decisions, and the heartbeats they miss: a
        notification's, or a tick's (a symptom released when its source expired opens one
        with no notification of its own, as a heartbeat missed does)."""
        for event in decided:
            if isinstance(event, IncidentOpened):
                self.incidents += 1
                self.incidents_per_rule[event.rule] += 1
            elif isinstance(event, HeartbeatMissed):
                self.heartbeats_missed += 1

    @property
    def noise_reduction(self) -> float:
        """1 - incidents / notifications."""
        return 1 - self.incidents / self.notifications if self.notifications else 0.0

    @property
    def alert_reduction(self) -> float:
        """1 - incidents / distinct alert occurrences (fingerprint and start time)."""
        occurrences = len(self.occurrences)
        return 1 - self.incidents / occurrences if occurrences else 0.0


def summary_lines(tally: ReplayTally, where: Callable[[int], str] | None = None) -> list[str]:
    """The figures as aligned text lines, the same for the same tally. `where`: the input's
    `file:line` of a payload position, to name the first payload skipped for each reason."""
    lines = [
        f"notifications            {tally.notifications:>10,}",
        f"distinct alerts          {len(tally.fingerprints):>10,}  (fingerprints)",
        f"alert occurrences        {len(tally.occurrences):>10,}  (fingerprint + start time)",
        f"incidents                {tally.incidents:>10,}",
        f"noise reduction          {tally.noise_reduction:>10.2%}  (1 - incidents/notifications)",
        f"alert reduction          {tally.alert_reduction:>10.2%}  "
        "(1 - incidents/alert occurrences)",
        "decisions                "
        + ", ".join(f"{name} {count:,}" for name, count in sorted_counts(tally.decisions)),
        f"ticks fed                {tally.ticks:>10,}",
    ]
    if tally.check_ins:
        lines.append(f"heartbeat check-ins      {tally.check_ins:>10,}")
        lines.append(f"heartbeats missed        {tally.heartbeats_missed:>10,}")
    lines.append("incidents per rule")
    lines += [f"  {count:>10,}  {rule}" for rule, count in sorted_counts(tally.incidents_per_rule)]
    if tally.skipped:
        lines.append("payloads skipped")
        for reason, count in sorted_counts(tally.skipped):
            first = tally.first_skipped.get(reason)
            at = f" (first: {where(first)})" if where is not None and first is not None else ""
            lines.append(f"  {count:>10,}  {reason}{at}")
    return lines


def sorted_counts(counts: Counter[str]) -> list[tuple[str, int]]:
    """Most first, then by name: stable whatever order the counts were made in."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))
