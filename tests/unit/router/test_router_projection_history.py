"""The incident history: resolved incidents leave the read model once they resolved longer ago
than the history, measured against the newest record time folded (never the clock), so the
same log gives the same incidents however it is folded, rebuilt or restored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from services.router.projection.fold import project
from services.router.projection.history import keep_history
from services.router.projection.model import IncidentProjection, RecordMeta
from services.router.projection.snapshots import dump_projection, load_projection
from tests.support.incident_events import (
    DAY,
    Read,
    acknowledged,
    opened,
    requested,
    resolved,
    sent,
    snoozed,
)

T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
NINETY_DAYS = timedelta(days=90)


def fold(
    reads: list[Read], history: timedelta, into: IncidentProjection | None = None
) -> IncidentProjection:
    """The reads folded in order (into `into`, else a new model with `history`); each record's
    envelope id names its topic, event type, incident and time."""
    projection = into if into is not None else IncidentProjection(history=history)
    for read in reads:
        incident_id = getattr(read.event, "incident_id", "")
        event_id = f"{read.topic}/{type(read.event).__name__}/{incident_id}/{read.at.isoformat()}"
        project(projection, read.event, RecordMeta(read.topic, event_id, read.at))
    return projection


@pytest.mark.parametrize(
    ("resolved_before_newest", "history", "kept"),
    [
        (91 * DAY, NINETY_DAYS, False),
        (91 * DAY, timedelta(0), True),  # 0: kept forever
        (89 * DAY, NINETY_DAYS, True),
        (NINETY_DAYS, NINETY_DAYS, True),  # dropped only once *more* than the history ago
        (NINETY_DAYS + timedelta(seconds=1), NINETY_DAYS, False),
        (timedelta(hours=13), timedelta(hours=12), False),
    ],
)
def test_a_resolved_incident_is_dropped_once_it_resolved_longer_ago_than_the_history(
    resolved_before_newest: timedelta, history: timedelta, kept: bool
) -> None:
    # Given INC-1 opened and resolved, then another incident opening later (the newest event),
    newest = T0 + DAY + resolved_before_newest
    reads = [opened("INC-1", T0), resolved("INC-1", T0 + DAY), opened("INC-2", newest)]

    # when the log is folded with the history,
    projection = fold(reads, history)

    # then INC-1 is held only while it resolved no longer than the history before the newest.
    assert ("INC-1" in projection.incidents) is kept
    assert "INC-2" in projection.incidents
    assert projection.dropped_total == (0 if kept else 1)


@pytest.mark.parametrize(
    ("last_read", "status"),
    [
        (None, "triggered"),
        (acknowledged, "acknowledged"),
        (snoozed, "snoozed"),
    ],
)
def test_an_incident_still_open_is_never_dropped_however_old(
    last_read: Callable[[str, datetime], Read] | None, status: str
) -> None:
    reads = [opened("INC-1", T0)]
    if last_read is not None:
        reads.append(last_read("INC-1", T0 + DAY))
    reads.append(opened("INC-2", T0 + 400 * DAY))

    projection = fold(reads, NINETY_DAYS)

    assert projection.incidents["INC-1"].status == status


def test_the_history_counts_from_the_resolution_not_from_the_opening() -> None:
    # Given an incident open for 200 days, resolved 10 days before the newest event,
    reads = [
        opened("INC-1", T0),
        resolved("INC-1", T0 + 200 * DAY),
        opened("INC-2", T0 + 210 * DAY),
    ]

    projection = fold(reads, NINETY_DAYS)

    assert projection.incidents["INC-1"].status == "resolved"


def test_resolutions_read_out_of_order_are_each_dropped_by_their_own_time() -> None:
    # Given a partition read ahead of another: INC-B's resolution (day 100) is read before
    # INC-A's (day 10),
    reads = [
        opened("INC-A", T0),
        opened("INC-B", T0),
        resolved("INC-B", T0 + 100 * DAY),
        resolved("INC-A", T0 + 10 * DAY),
        opened("INC-C", T0 + 101 * DAY),
    ]

    # when folded with a 90-day history, INC-A is gone (91 days), INC-B is kept (1 day).
    projection = fold(reads, NINETY_DAYS)

    assert sorted(projection.incidents) == ["INC-B", "INC-C"]


def test_a_resolution_read_after_newer_events_is_dropped_at_once_when_past_the_history() -> None:
    reads = [opened("INC-1", T0), opened("INC-2", T0 + 100 * DAY), resolved("INC-1", T0 + DAY)]

    projection = fold(reads, NINETY_DAYS)

    assert "INC-1" not in projection.incidents


@pytest.mark.parametrize(
    "late",
    [
        sent("INC-1", "n1", T0 + 2 * DAY),  # a delivery read from a topic read behind
        requested("INC-1", "n2", T0 + 200 * DAY),
        opened("INC-1", T0),  # the opening again: a redelivered record
    ],
    ids=["NotificationSent", "NotificationRequested", "IncidentOpened"],
)
def test_a_late_event_of_a_dropped_incident_neither_brings_it_back_nor_waits(late: Read) -> None:
    # Given INC-1 dropped: resolved 91 days before the newest event,
    reads = [
        opened("INC-1", T0),
        requested("INC-1", "n1", T0),
        resolved("INC-1", T0 + DAY),
        opened("INC-2", T0 + 92 * DAY),
    ]
    projection = fold(reads, NINETY_DAYS)
    assert "INC-1" not in projection.incidents

    # when an event of INC-1 is read afterwards,
    fold([late], NINETY_DAYS, into=projection)

    # then INC-1 stays unknown, and nothing waits for it.
    assert sorted(projection.incidents) == ["INC-2"]
    assert (projection.waiting, projection.waiting_count) == ({}, 0)


def test_an_event_of_an_incident_not_opened_yet_still_waits_for_it() -> None:
    projection = fold([sent("INC-1", "n1", T0 + DAY), opened("INC-1", T0)], NINETY_DAYS)

    assert projection.incidents["INC-1"].timeline[-1].kind == "NotificationSent"
    assert projection.waiting == {}


def test_a_shorter_history_set_on_a_start_drops_at_once_what_it_puts_past() -> None:
    # Given a model kept forever, holding INC-1 resolved 40 days before its newest event,
    reads = [opened("INC-1", T0), resolved("INC-1", T0 + DAY), opened("INC-2", T0 + 41 * DAY)]
    projection = fold(reads, timedelta(0))
    assert "INC-1" in projection.incidents

    # when it is started again with a 30-day history, INC-1 goes before any new event.
    keep_history(projection, timedelta(days=30))

    assert sorted(projection.incidents) == ["INC-2"]


def history_of_a_year() -> list[Read]:
    """Incidents opened every 10 days over a year, most resolved 3 days later, with pages
    delivered (some read late) and one incident that stays open."""
    reads: list[Read] = []
    for number in range(36):
        incident_id, at = f"INC-{number}", T0 + number * 10 * DAY
        reads += [opened(incident_id, at), requested(incident_id, f"n{number}", at)]
        if number != 7:
            reads.append(resolved(incident_id, at + 3 * DAY))
        if number % 5 == 0 and number >= 10:  # a delivery of 10 incidents ago, read late
            earlier = number - 10
            reads.append(sent(f"INC-{earlier}", f"n{earlier}", at))
    return reads


@pytest.mark.parametrize("split", [1, 40, 55, 75, 100])
def test_folding_in_two_halves_with_a_snapshot_between_holds_what_one_fold_holds(
    split: int,
) -> None:
    reads = history_of_a_year()
    whole = fold(reads, NINETY_DAYS)

    first_half = fold(reads[:split], NINETY_DAYS)
    restored = load_projection(dump_projection(first_half))
    both_halves = fold(reads[split:], NINETY_DAYS, into=restored)

    assert both_halves == whole
    # The newest event is day 353: incidents resolved before day 263 are gone, INC-7 is open.
    assert sorted(whole.incidents) == sorted([*(f"INC-{n}" for n in range(26, 36)), "INC-7"])
    assert whole.waiting == {}
