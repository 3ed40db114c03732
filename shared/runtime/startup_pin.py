"""The config a process started with, pinned on each partition's log it recovers.

The correlator and the router decide with the config their input log activates
(`RulesetActivated`), so that a replay switches where the live run did. A process started with
an edited config file writes it to the partition once the partition is rebuilt, before its
next input, unless the log already runs that config or activated a newer one (a reload after
this process started). "The log runs" counts the records past the committed offset too (seen
by look-ahead): a pin an earlier run wrote there before it crashed is handled after the
recovery, and would otherwise be undone by nothing, or pinned again.
"""

from __future__ import annotations

from datetime import datetime

from shared.events import decode_envelope, deterministic_id, encode_envelope, unwrap, wrap
from shared.events.incidents import RulesetActivated, superseded
from shared.log.port import Outgoing, Record

RULESET_KEY = "ruleset"  # the record key of every `RulesetActivated` (reloads and pins)


class StartupPin:
    def __init__(self, startup: RulesetActivated | None, topic: str, partition: int) -> None:
        self._startup = startup
        self._topic = topic
        self._partition = partition
        self._ahead: RulesetActivated | None = None  # the last one past the committed offset

    def look_ahead(self, record: Record) -> None:
        """A record past the committed offset, seen at recovery before it is handled."""
        if self._startup is None or record.key != RULESET_KEY:
            return
        event = unwrap(decode_envelope(record.value))
        if isinstance(event, RulesetActivated) and not superseded(
            event.activated_at, self._ahead.activated_at if self._ahead else None
        ):
            self._ahead = event

    def records(
        self, running: str | None, running_since: datetime | None, committed: int
    ) -> list[Outgoing]:
        """The pin to append, if any, given the config version the rebuilt state runs and when
        it was activated; once per recovery."""
        startup, self._startup = self._startup, None
        ahead, self._ahead = self._ahead, None
        if startup is None:
            return []
        if ahead is not None and not superseded(ahead.activated_at, running_since):
            running, running_since = ahead.version, ahead.activated_at
        if running == startup.version:
            return []
        if running_since is not None and running_since >= startup.activated_at:
            return []  # a reload newer than this process's config file: it stays
        # The same id when a crash comes before the commit and the recovery is done again.
        parts = (self._topic, startup.version, self._partition, committed)
        event_id = deterministic_id("config at start", *parts)
        out = wrap(startup, key=RULESET_KEY, event_id=event_id, occurred_at=startup.activated_at)
        return [Outgoing(self._topic, RULESET_KEY, encode_envelope(out), self._partition)]
