"""One replay: payloads in received_at order -> normalizers -> engine -> one line per alert.

Nothing here sends, appends or reads a clock: the same input and config give the same lines,
byte for byte. Heartbeat check-ins (the export's `heartbeat` lines, watchdog alerts) are fed
to the engine as live ingest feeds them, so a heartbeat goes missing where it did live (its
alert opens an incident, counted, with no line of its own). Each line is
`{"received_at", "fingerprint", "starts_at", "incident_id", "decision", "reason"}`; decision
is `opened`, `grouped`, `deduplicated`, `inhibited`, `held`, `hold ended`, `resolved`, or
`ignored` when the engine decided nothing about the alert (e.g. a resolve of an alert it does
not track).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, BinaryIO

import orjson

from services.cli.config_bundle import TocsinConfig
from services.cli.replay_engine import ReplayEngine
from services.cli.replay_input import OrderedInput
from services.cli.replay_normalize import PayloadNormalizer, Skipped
from services.cli.replay_resend import ResendIndex, SentPayload, normalize_lines, originals
from services.cli.replay_tally import Outcome, ReplayTally
from services.correlator.domain.engine import Repeated
from services.correlator.grouping import build_policy
from shared.alerts import Alert
from shared.events.base import Event
from shared.events.incidents import (
    AlertGrouped,
    AlertHeld,
    AlertHoldEnded,
    AlertResolved,
    IncidentOpened,
    InputDropped,
)

_LINE_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_APPEND_NEWLINE


# The decisions a notification's line reports, by event type (flapping, cause and priority
# changes ride along and are not the decision): each read as (the alert's fingerprint,
# incident, decision, reason); `AlertGrouped` names its own decision.
_Read = tuple[str | None, str | None, str, str]
_PRIMARY: dict[type[Event], Callable[[Any], _Read]] = {
    IncidentOpened: lambda e: (e.alert.fingerprint, e.incident_id, "opened", e.reason),
    AlertGrouped: lambda e: (e.alert.fingerprint, e.incident_id, e.decision, e.reason),
    AlertResolved: lambda e: (e.fingerprint, e.incident_id, "resolved", e.reason),
    AlertHeld: lambda e: (e.alert.fingerprint, None, "held", e.reason),
    AlertHoldEnded: lambda e: (e.fingerprint, None, "hold ended", e.reason),
    InputDropped: lambda e: (e.fingerprint, e.incident_id, "ignored", e.reason),
}


def outcome_of(alert: Alert, decided: list[Event]) -> Outcome:
    """The first decision about this alert among those the engine made for its notification.

    A firing notification with a later start is first resolved (it resolved at its source in
    between) and then fires again: its decision is the firing one, its reason tells both."""
    before = ""
    for event in decided:
        read = _PRIMARY.get(type(event))
        if read is None:
            continue
        fingerprint, incident_id, decision, reason = read(event)
        if fingerprint != alert.fingerprint:
            continue
        if alert.status == "firing" and decision == "resolved" and not before:
            before = f"{reason}; then "
            continue
        return Outcome(incident_id, decision, before + reason)
    if alert.status == "resolved":
        return Outcome(None, "ignored", f"{alert.alertname} is not firing in an open incident")
    return Outcome(None, "ignored", f"no decision about {alert.alertname}")


def _line(alert: Alert, received_at: datetime, outcome: Outcome) -> bytes:
    """`received_at`: the notification's, which a re-sent payload's alerts may not carry."""
    return orjson.dumps(
        {
            "received_at": received_at,
            "fingerprint": alert.fingerprint,
            "starts_at": alert.starts_at,
            "incident_id": outcome.incident_id,
            "decision": outcome.decision,
            "reason": outcome.reason,
        },
        option=_LINE_OPTIONS,
    )


class Replay:
    """Replays payloads under one config; `tally` holds the figures afterwards."""

    def __init__(
        self, config: TocsinConfig, *, keep_assignments: bool = False, ticks: bool = True
    ) -> None:
        policy = build_policy(config.correlator, config.version)
        self.config = config
        self.engine = ReplayEngine(policy, config.ingest.correlation.domain_labels, ticks=ticks)
        self.tally = ReplayTally(keep_assignments=keep_assignments)

    def run(
        self,
        payloads: OrderedInput,
        output: BinaryIO | None,
        on_payload: Callable[[int], None] | None = None,
        until: datetime | None = None,
    ) -> ReplayTally:
        """Normalize here, in order, and replay."""
        normalizer = PayloadNormalizer(self.config.ingest)
        normalized = normalize_lines(payloads.raw_lines(), normalizer, ResendIndex())
        return self.run_normalized(normalized, output, on_payload, until)

    def run_normalized(
        self,
        payloads: Iterable[SentPayload],
        output: BinaryIO | None,
        on_payload: Callable[[int], None] | None = None,
        until: datetime | None = None,
    ) -> ReplayTally:
        """Replay payloads normalized already (here or by workers), in received_at order;
        then, with `until`, feed the ticks due up to it."""
        write = output.write if output is not None else None
        take, count = self.engine.take, self.tally.count
        for position, received_at, normalized, resent in originals(payloads):
            if isinstance(normalized, Skipped):
                self.tally.skip(normalized.reason, position)
                continue
            if normalized.watchdogs:
                self.tally.skip("watchdog check-in (alerts)", position, normalized.watchdogs)
            for heartbeat, key in normalized.check_ins:
                self.tally.check_ins += 1
                self.tally.count_opened(self.engine.check_in(heartbeat, key, received_at))
                if self.engine.ticked:
                    self.tally.count_opened(self.engine.take_ticked())
            notifications = zip(normalized.alerts, normalized.keys, strict=True)
            for index, (alert, key) in enumerate(notifications):
                decided = take(alert, received_at, key, resent=resent)
                if self.engine.ticked:
                    self.tally.count_opened(self.engine.take_ticked())
                posted = normalized.posted_index(index)
                if isinstance(decided, Repeated):
                    outcome = Outcome(decided.incident_id, "deduplicated", decided.reason(alert))
                    count(position, posted, alert, outcome, ())
                else:
                    outcome = outcome_of(alert, decided)
                    count(position, posted, alert, outcome, decided)
                if write is not None:
                    write(_line(alert, received_at, outcome))
            if on_payload is not None:
                on_payload(position)
        if until is not None:
            self.tally.count_opened(self.engine.advance(until))
        self.tally.ticks = self.engine.ticks_fed
        return self.tally
