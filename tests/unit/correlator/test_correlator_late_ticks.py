"""A live tick comes when the runner next looks (later under load), an offline replay's at each
due time: a late tick decides as the replay's ticks would, as of each due time in turn, without
running time backwards past what the inputs before it said."""

from __future__ import annotations

from services.cli.replay_engine import ReplayEngine
from shared.events.base import Event
from shared.events.incidents import (
    AlertResolved,
    HeartbeatMissed,
    IncidentOpened,
    IncidentResolved,
)
from shared.events.inputs import AlertReceived, HeartbeatReceived
from tests.unit.correlator.correlator_world import (
    DOMAIN,
    Partition,
    alert,
    at,
    policy_from,
    resolved,
    tick,
)
from tests.unit.correlator.test_correlator_heartbeats import POLICY as HEARTBEATS

GRACE = policy_from(
    """
route: {receiver: oncall, group_by: [alertname], group_wait: 0s}
correlation: {resolve_grace: 5m}
"""
)
CHAIN = policy_from(
    """
route: {receiver: oncall, group_by: [alertname], group_wait: 30s}
inhibit_rules:
  - {source_matchers: ['alertname="NodeDown"'], target_matchers: ['alertname="ServiceDown"'],
     equal: [instance]}
"""
)


def _ticks(partition: Partition, seconds: list[float]) -> list[Event]:
    decided: list[Event] = []
    for second in seconds:
        decided += partition.feed(tick(at(second)), at(second), domain="tick")
    return decided


def test_an_alert_ending_before_a_late_tick_leaves_the_incident_quiet_since_the_last_resolve() -> (
    None
):
    """Y ends at 0 s, Z is resolved by its source at 3 s, the live tick comes at 5 s: the
    incident went quiet at 3 s, as in the replay (a tick at 0 s, then Z's resolve), and its grace
    ends at 5 min 3 s. Quiet since Y's end instead, the grace was cut short."""
    outcomes = []
    for late in (True, False):
        partition = Partition(GRACE)
        partition.feed(alert("Disk", instance="y", starts_at=at(-60), ends_at=at(0)), at(-60))
        partition.feed(alert("Disk", instance="z", starts_at=at(-60)), at(-59))
        z_resolves = resolved(alert("Disk", instance="z", starts_at=at(-60)))
        if late:
            partition.feed(z_resolves, at(3))
            _ticks(partition, [5])
        else:
            _ticks(partition, [0])
            partition.feed(z_resolves, at(3))
        decided = _ticks(partition, [float(s) for s in range(10, 400, 10)])
        [closed] = [e for e in decided if isinstance(e, IncidentResolved)]
        outcomes.append((closed.resolved_at, closed.alerts_resolved_at))

    assert outcomes[0] == outcomes[1] == (at(303), at(3))


def test_a_late_tick_over_several_due_times_releases_a_symptom_as_of_its_sources_end() -> None:
    """NodeDown ends at 60 s, an unrelated alert at 62 s, the live tick comes at 64 s: the
    released ServiceDown opens its incident as of 60 s, with the id the replay's ticks (60 s,
    62 s) give it; it was opened as of 62 s, under another id."""
    opened = []
    for ticks in ([64.0], [60.0, 62.0]):
        partition = Partition(CHAIN)
        partition.feed(alert("NodeDown", instance="a", ends_at=at(60)), at(0))
        partition.feed(alert("ServiceDown", instance="a"), at(10))
        partition.feed(alert("Unrelated", instance="b", ends_at=at(62)), at(11))
        [released] = [e for e in _ticks(partition, ticks) if isinstance(e, IncidentOpened)]
        opened.append((released.incident_id, released.opened_at))

    assert opened[0] == opened[1] and opened[0][1] == at(60)


def test_an_alert_received_past_its_end_is_not_resolved_before_it_was_received() -> None:
    late = alert("Disk", instance="y", starts_at=at(-120), ends_at=at(3))
    late = AlertReceived(alert=late.alert.model_copy(update={"received_at": at(5)}))
    partition = Partition(GRACE)
    [opened] = partition.feed(late, at(5))

    [ended] = [e for e in _ticks(partition, [6]) if isinstance(e, AlertResolved)]

    assert isinstance(opened, IncidentOpened) and ended.at == opened.opened_at == at(5)


def _summary(decided: list[Event]) -> list[tuple[str, str, object]]:
    """Each decision's type, incident and time: what must not depend on when ticks came."""
    return [
        (type(e).__name__, str(getattr(e, "incident_id", "")), getattr(e, "at", None))
        for e in decided
    ]


def test_an_alert_received_after_the_grace_ended_opens_a_new_incident_before_the_late_tick() -> (
    None
):
    """Y resolves at 10 s, so its incident's grace ends at 5 min 10 s; Z of the same group comes
    a second later, the live tick a second after that. The replay's tick at 5 min 10 s resolves
    the incident and Z opens a new one; Z joined the old one instead, for want of a tick."""
    outcomes = []
    for late in (True, False):
        partition = Partition(GRACE)
        y = alert("Disk", instance="y", starts_at=at(0))
        partition.feed(y, at(0))
        partition.feed(resolved(y), at(10))
        if not late:
            _ticks(partition, [310])
        partition.feed(alert("Disk", instance="z", starts_at=at(311)), at(311))
        _ticks(partition, [312])
        outcomes.append(_summary(partition.decided))

    assert outcomes[0] == outcomes[1]
    [first, second] = [e for e in outcomes[0] if e[0] == "IncidentOpened"]
    assert first[1] != second[1] and ("IncidentResolved", first[1], None) in outcomes[0]


def test_a_heartbeat_returning_before_the_late_tick_still_records_the_miss() -> None:
    """The heartbeat, due by 5 min, checks in again at 5 min 1 s, before the live tick: the
    replay's tick at 5 min had recorded the miss (and paged); the check-in hid it."""
    outcomes = []
    for late in (True, False):
        partition = Partition(HEARTBEATS, domain="region=eu-west")
        partition.feed(HeartbeatReceived(name="nightly-backup", received_at=at(0)), at(0))
        if not late:
            _ticks(partition, [300])
        back = HeartbeatReceived(name="nightly-backup", received_at=at(301))
        partition.feed(back, at(301))
        _ticks(partition, [302])
        outcomes.append(partition.decided)

    assert _summary(outcomes[0]) == _summary(outcomes[1])
    [missed] = [e for e in outcomes[0] if isinstance(e, HeartbeatMissed)]
    assert missed.at == at(300)
    assert any(isinstance(e, AlertResolved) for e in outcomes[0])  # and back at 5 min 1 s


def test_an_alert_after_an_incident_ended_with_a_zero_grace_opens_a_new_one() -> None:
    """Y ends at 60 s with no grace, so its incident is due to resolve at 60 s too, armed by
    Y's own end: Z of the same group at 120 s, before the live tick, opened a new incident in
    the replay but joined the ended one live (the tick stopped at what it armed itself)."""
    zero = policy_from(
        "route: {receiver: oncall, group_by: [alertname], group_wait: 0s}\n"
        "correlation: {resolve_grace: 0s}\n"
    )
    outcomes = []
    for ticks in ([], [60.0]):
        partition = Partition(zero)
        partition.feed(alert("Disk", instance="y", starts_at=at(0), ends_at=at(60)), at(0))
        _ticks(partition, ticks)
        partition.feed(alert("Disk", instance="z", starts_at=at(120)), at(120))
        outcomes.append(_summary(partition.decided))

    assert outcomes[0] == outcomes[1]
    assert [kind for kind, _, _ in outcomes[0]] == [
        "IncidentOpened",
        "AlertResolved",
        "IncidentResolved",
        "IncidentOpened",
    ]


def test_one_tick_ends_an_incident_whose_zero_grace_its_alerts_end_started() -> None:
    """The tick at Y's end resolves Y and, its grace being zero, the incident: not left to a
    next tick, which a replay's last `advance` never fed (the incident stayed open)."""
    zero = policy_from(
        "route: {receiver: oncall, group_by: [alertname], group_wait: 0s}\n"
        "correlation: {domain_labels: [region], resolve_grace: 0s}\n"
    )
    engine = ReplayEngine(zero, ["region"])
    engine.receive(alert("Disk", instance="y", ends_at=at(60)).alert, at(0), DOMAIN)

    ended = engine.advance(at(3600))

    assert [type(e).__name__ for e in ended] == ["AlertResolved", "IncidentResolved"]
    assert all(getattr(e, "at", at(60)) == at(60) for e in ended)


def test_a_state_is_the_fold_of_its_inputs_and_decisions_when_time_passed_before_an_input() -> None:
    """What an input's time made due is decided before it, as a tick's decisions, so folding
    the inputs and decisions in order rebuilds the state the engine holds (the heartbeat back
    past its interval is not left missing)."""
    partition = Partition(HEARTBEATS, domain="region=eu-west")
    partition.feed(HeartbeatReceived(name="nightly-backup", received_at=at(0)), at(0))
    partition.feed(HeartbeatReceived(name="nightly-backup", received_at=at(301)), at(301))

    assert partition.state == partition.folded()
    assert not partition.state.heartbeats["nightly-backup"].missing
