"""A firing alert sent again with a later start: it resolved at its source and fired again
between two notifications of its group (Alertmanager sends no resolve then), so it is a flap,
not a repeat. Sources whose start is no occurrence's (PagerDuty re-triggers) repeat as before."""

from __future__ import annotations

from datetime import datetime

from services.correlator.domain.engine import step_repeat
from shared.events.incidents import (
    AlertGrouped,
    AlertResolved,
    IncidentFlapping,
    IncidentOpened,
    InputDropped,
)
from shared.events.inputs import AlertReceived
from tests.unit.correlator.correlator_world import Partition, alert, at, policy_from

POLICY = policy_from(
    """
route:
  receiver: oncall
  group_by: [alertname]
  group_wait: 0s
correlation:
  flapping: {max_flaps: 2, within: 30m}
"""
)


def probe(starts_at: datetime, source: str = "alertmanager") -> AlertReceived:
    sent = alert("ProbeFailed", instance="https://shop.example.com", starts_at=starts_at)
    return AlertReceived(alert=sent.alert.model_copy(update={"source": source}))


def test_a_later_start_resolves_the_alert_and_fires_it_again_in_its_incident() -> None:
    # Given a probe failing since 10:00, in its own incident
    partition = Partition(POLICY)
    [opened] = partition.feed(probe(at(0)), at(30))
    # When the next notification at 10:05 shows it failing since 10:03
    resolved, grouped = partition.feed(probe(at(minutes=3)), at(minutes=5))
    # Then it resolved in between and fired again in the same incident
    assert isinstance(opened, IncidentOpened)
    assert isinstance(resolved, AlertResolved) and resolved.rule == "source"
    assert resolved.incident_id == opened.incident_id
    assert resolved.reason == (
        "ProbeFailed was sent firing with a later start (2026-11-27T10:03:00+00:00, was"
        " 2026-11-27T10:00:00+00:00): it resolved at the source in between"
    )
    assert isinstance(grouped, AlertGrouped) and grouped.decision == "grouped"
    assert grouped.incident_id == opened.incident_id
    assert grouped.reason == f"ProbeFailed fired again while {opened.incident_id} is open"


def test_restarts_between_notifications_mark_the_incident_flapping() -> None:
    # Given a probe failing since 10:00
    partition = Partition(POLICY)
    partition.feed(probe(at(0)), at(30))
    # When each notification, 5 minutes apart, shows a new start
    decided = [partition.feed(probe(at(minutes=m - 1)), at(minutes=m)) for m in (5, 10, 15)]
    # Then the third restart within 30 minutes marks the incident flapping
    assert [type(e).__name__ for e in decided[-1]] == [
        "AlertResolved",
        "AlertGrouped",
        "IncidentFlapping",
    ]
    assert isinstance(decided[-1][-1], IncidentFlapping) and decided[-1][-1].flaps == 3


def test_the_same_start_sent_again_is_a_repeat() -> None:
    partition = Partition(POLICY)
    partition.feed(probe(at(0)), at(30))
    [repeat] = partition.feed(probe(at(0)), at(minutes=5))
    assert isinstance(repeat, AlertGrouped) and repeat.decision == "deduplicated"


def test_a_later_time_from_a_source_without_occurrence_starts_is_a_repeat() -> None:
    # Given a PagerDuty-style client triggering the same dedup key, stamped with its own clock
    partition = Partition(POLICY)
    partition.feed(probe(at(0), source="pagerduty"), at(30))
    # When it triggers again later with a later timestamp
    [repeat] = partition.feed(probe(at(minutes=5), source="pagerduty"), at(minutes=5))
    # Then that is a repeat of the open alert, as PagerDuty treats it
    assert isinstance(repeat, AlertGrouped) and repeat.decision == "deduplicated"


def test_after_a_restart_its_new_start_sent_again_is_a_repeat() -> None:
    # Given a probe that restarted at 10:03 (seen at 10:05)
    partition = Partition(POLICY)
    partition.feed(probe(at(0)), at(30))
    partition.feed(probe(at(minutes=3)), at(minutes=5))
    # When the 10:10 notification still shows it failing since 10:03
    [repeat] = partition.feed(probe(at(minutes=3)), at(minutes=10))
    # Then that is a repeat of the new occurrence
    assert isinstance(repeat, AlertGrouped) and repeat.decision == "deduplicated"


def test_the_repeat_fast_path_leaves_a_restart_to_the_full_step() -> None:
    partition = Partition(POLICY)
    partition.feed(probe(at(0)), at(30))
    restarted = probe(at(minutes=3)).alert
    assert step_repeat(partition.state, restarted, at(minutes=5), POLICY) is None
    assert step_repeat(partition.state, probe(at(0)).alert, at(minutes=5), POLICY) is not None


TOPOLOGY = policy_from(
    """
route:
  receiver: oncall
  group_by: [alertname, service]
  group_wait: 0s
topology:
  hosts: {db-1: {cluster: c1}, app-1: {cluster: c1}}
  services:
    orders-db: {hosts: [db-1]}
    auth: {hosts: [app-1], depends_on: [orders-db]}
  correlation_window: 5m
"""
)


def test_an_alert_firing_again_is_no_fresh_evidence_for_new_symptoms() -> None:
    # Given a probe of orders-db failing since 10:00, failing anew since 10:22 (seen 10:23)
    partition = Partition(TOPOLOGY)

    def db_probe(starts: datetime) -> AlertReceived:
        return alert("ProbeFailed", service="orders-db", starts_at=starts)

    [opened] = partition.feed(db_probe(at(0)), at(30))
    partition.feed(db_probe(at(minutes=22)), at(minutes=23))
    # When auth, which depends on orders-db, turns slow at 10:24
    slow = alert("HighLatency", service="auth", layer="application", starts_at=at(minutes=24))
    [decided] = partition.feed(slow, at(minutes=24, seconds=30))
    # Then it is its own incident: the probe has been flapping since 10:00, no new failure
    assert isinstance(opened, IncidentOpened)
    assert isinstance(decided, IncidentOpened)


def _resolve(starts_at: datetime, source: str = "alertmanager") -> AlertReceived:
    sent = probe(starts_at, source)
    return AlertReceived(alert=sent.alert.model_copy(update={"status": "resolved"}))


def test_a_late_resolve_of_an_earlier_occurrence_leaves_the_current_one_firing() -> None:
    # Given a probe failing since 10:00, then again since 10:03 (a new occurrence)
    partition = Partition(POLICY)
    partition.feed(probe(at(0)), at(30))
    partition.feed(probe(at(minutes=3)), at(minutes=5))
    # When a resolve of the 10:00 occurrence arrives late (another Alertmanager of an HA pair)
    [dropped] = partition.feed(_resolve(at(0)), at(minutes=6))
    # Then it is dropped aloud and the probe still fires
    assert isinstance(dropped, InputDropped) and dropped.rule == "source"
    assert "earlier occurrence" in dropped.reason and "10:03" in dropped.reason
    tracked = partition.state.alerts[dropped.fingerprint or ""]
    assert tracked.firing


def test_a_resolve_of_the_current_occurrence_or_without_occurrences_resolves() -> None:
    for source, occurrence in [("alertmanager", 3), ("pagerduty", 0)]:
        partition = Partition(POLICY)
        partition.feed(probe(at(0), source), at(30))
        partition.feed(probe(at(minutes=3), source), at(minutes=5))

        [resolved] = partition.feed(_resolve(at(minutes=occurrence), source), at(minutes=6))

        assert isinstance(resolved, AlertResolved), source
