"""The alerts of an open incident as the router sees them, and whether silences mute them all.

Alertmanager's rule: a group notifies if any of its firing alerts is not silenced; it is muted
only when every firing alert is. The router keeps each incident's alerts from the correlator's
events (opened, grouped, inhibited, moved away, resolved) so a due step is held only when every
firing, non-suppressed alert has an active silence.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from services.router.domain.policy import RoutingDirectory
from services.router.domain.silences import Silence
from shared.events import AlertGrouped


@dataclass
class IncidentAlerts:
    """Every alert an incident has had, by fingerprint, in the order they joined (the order
    replay reproduces: sets are only used for membership)."""

    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    firing: set[str] = field(default_factory=set)
    # Inhibited alerts (suppressed symptoms) never page, so silences need not cover them.
    suppressed: set[str] = field(default_factory=set)
    # The alerts a page counts (opened or grouped, not only inhibited), and those of them that
    # stopped firing: an alert firing again is the same alert, not one more.
    counted: set[str] = field(default_factory=set)
    resolved: set[str] = field(default_factory=set)

    def counts(self, event: AlertGrouped) -> bool:
        """Whether `event` is a grouped alert the incident does not count yet."""
        return event.decision == "grouped" and event.alert.fingerprint not in self.counted

    def join(self, event: AlertGrouped) -> None:
        fingerprint = event.alert.fingerprint
        known = fingerprint in self.labels
        self.labels[fingerprint] = dict(event.alert.labels)
        self.firing.add(fingerprint)
        self.resolved.discard(fingerprint)
        if event.decision == "inhibited":
            self.suppressed.add(fingerprint)
        elif event.decision == "grouped" or not known:
            self.suppressed.discard(fingerprint)
        if event.decision == "grouped":
            self.counted.add(fingerprint)
        # `deduplicated` of a known alert: a repeat, its suppression unchanged.

    def leave(self, fingerprint: str) -> None:
        """The alert moved to another incident."""
        self.labels.pop(fingerprint, None)
        for held in (self.firing, self.suppressed, self.counted, self.resolved):
            held.discard(fingerprint)

    def resolve(self, fingerprint: str) -> None:
        self.firing.discard(fingerprint)
        if fingerprint in self.counted:
            self.resolved.add(fingerprint)

    def pages_for(self, fingerprint: str) -> bool:
        """Whether the alert is firing and not suppressed."""
        return fingerprint in self.firing and fingerprint not in self.suppressed

    def newly_paging(self, event: AlertGrouped) -> bool:
        """Whether `event` adds a firing, non-suppressed alert the incident did not count."""
        fingerprint = event.alert.fingerprint
        if event.decision == "inhibited" or self.pages_for(fingerprint):
            return False
        return event.decision == "grouped" or fingerprint not in self.suppressed

    def paging_labels(self) -> Iterator[Mapping[str, str]]:
        """The label sets of the firing, non-suppressed alerts, in the order they joined."""
        return (labels for fp, labels in self.labels.items() if self.pages_for(fp))

    def muted_labels(self) -> Iterator[Mapping[str, str]]:
        """The label sets silences must cover: the firing, non-suppressed alerts; with none
        firing (all resolved, the incident still open), every non-suppressed alert it had."""
        if any(self.pages_for(fp) for fp in self.firing):
            return self.paging_labels()
        return (labels for fp, labels in self.labels.items() if fp not in self.suppressed)


def opened_with(fingerprint: str, labels: Mapping[str, str]) -> IncidentAlerts:
    return IncidentAlerts(
        labels={fingerprint: dict(labels)}, firing={fingerprint}, counted={fingerprint}
    )


def silencing(
    alerts: Iterable[Mapping[str, str]], now: datetime, directory: RoutingDirectory
) -> list[Silence]:
    """The silences muting every one of `alerts` at `now` (each listed once, in the order the
    alerts joined), or [] if some alert is not silenced (or there is none). Stops at the
    first alert no silence covers."""
    found: list[Silence] = []
    for labels in alerts:
        silence = directory.silence_for(labels, now)
        if silence is None:
            return []
        if silence not in found:
            found.append(silence)
    return found
