"""What retention may delete: history older than the retention, but never what a reader needs
to recover (a group's input from its snapshot, the read model's from its positions); of a
state topic, every snapshot older than the newest complete one."""

from __future__ import annotations

from shared.log.embedded_retention import LogFacts
from shared.runtime.log_retention import LogReader, prune_bounds

HISTORY = ("alerts", "payloads", "incidents")
CORRELATOR = LogReader("corr.state", ("alerts",), "corr")
READ_MODEL = LogReader("rm.state", ("alerts", "incidents"))


def _facts(**changes: object) -> LogFacts:
    base: dict[str, object] = {
        "ends": {("alerts", 0): 1000, ("payloads", 0): 1000, ("incidents", 0): 500},
        "aged_out": {("alerts", 0): 800, ("payloads", 0): 700, ("incidents", 0): 400},
        "committed": {},
        "manifests": {},
    }
    return LogFacts(**{**base, **changes})  # type: ignore[arg-type]


def test_a_topic_nobody_reads_is_kept_for_the_retention_alone() -> None:
    bounds = prune_bounds(_facts(), HISTORY, [])
    assert bounds == {("alerts", 0): 800, ("payloads", 0): 700, ("incidents", 0): 400}


def test_nothing_is_old_enough_without_a_time_index_row_past_the_cutoff() -> None:
    assert prune_bounds(_facts(aged_out={}), HISTORY, []) == {}


def test_a_group_keeps_its_input_from_its_snapshot_and_its_committed_offset() -> None:
    facts = _facts(
        committed={"corr": {("alerts", 0): 900}},
        manifests={("corr.state", 0): (12, {"input_offset": 650, "chunks": 2})},
        ends={("alerts", 0): 1000, ("corr.state", 0): 13},
    )
    assert prune_bounds(facts, HISTORY, [CORRELATOR])[("alerts", 0)] == 650


def test_a_group_committed_behind_its_snapshot_keeps_from_its_committed_offset() -> None:
    facts = _facts(
        committed={"corr": {("alerts", 0): 300}},
        manifests={("corr.state", 0): (12, {"input_offset": 650, "chunks": 2})},
    )
    assert prune_bounds(facts, HISTORY, [CORRELATOR])[("alerts", 0)] == 300


def test_a_group_without_a_snapshot_or_a_commit_keeps_its_whole_input() -> None:
    no_snapshot = _facts(committed={"corr": {("alerts", 0): 900}})
    assert ("alerts", 0) not in prune_bounds(no_snapshot, HISTORY, [CORRELATOR])
    no_commit = _facts(manifests={("corr.state", 0): (12, {"input_offset": 650, "chunks": 2})})
    assert ("alerts", 0) not in prune_bounds(no_commit, HISTORY, [CORRELATOR])
    # ...and leaves other topics to the retention
    assert prune_bounds(no_commit, HISTORY, [CORRELATOR])[("payloads", 0)] == 700


def test_the_read_model_keeps_every_topic_it_reads_from_its_positions() -> None:
    positions = {"alerts": {"0": 500}, "incidents": {"0": 450}}
    facts = _facts(manifests={("rm.state", 0): (3, {"positions": positions, "chunks": 1})})
    bounds = prune_bounds(facts, HISTORY, [READ_MODEL])
    assert bounds[("alerts", 0)] == 500
    assert bounds[("incidents", 0)] == 400  # older than its position, but not yet aged out


def test_the_read_model_without_a_snapshot_keeps_everything_it_reads() -> None:
    bounds = prune_bounds(_facts(), HISTORY, [READ_MODEL])
    assert bounds == {("payloads", 0): 700}


def test_every_reader_of_a_partition_must_be_past_a_record_for_it_to_go() -> None:
    facts = _facts(
        committed={"corr": {("alerts", 0): 900}},
        manifests={
            ("corr.state", 0): (12, {"input_offset": 650, "chunks": 2}),
            ("rm.state", 0): (3, {"positions": {"alerts": {"0": 600}}, "chunks": 1}),
        },
    )
    assert prune_bounds(facts, HISTORY, [CORRELATOR, READ_MODEL])[("alerts", 0)] == 600


def test_a_state_topic_keeps_its_newest_snapshot_from_its_first_chunk() -> None:
    facts = _facts(
        ends={("corr.state", 0): 40, ("corr.state", 1): 3},
        manifests={
            ("corr.state", 0): (30, {"input_offset": 650, "chunks": 4}),
            ("corr.state", 1): (2, {"input_offset": 10, "chunks": 2}),
        },
    )
    bounds = prune_bounds(facts, HISTORY, [CORRELATOR])
    assert bounds == {("corr.state", 0): 26}  # partition 1's only snapshot starts at 0


def test_a_topic_of_no_known_kind_is_left_alone() -> None:
    facts = _facts(ends={("other", 0): 100}, aged_out={("other", 0): 100})
    assert prune_bounds(facts, HISTORY, [CORRELATOR]) == {}


def test_malformed_manifest_fields_protect_the_input() -> None:
    facts = _facts(
        committed={"corr": {("alerts", 0): 900}},
        manifests={
            ("corr.state", 0): (12, {"input_offset": "650", "chunks": 2}),
            ("rm.state", 0): (3, {"positions": ["alerts"], "chunks": 1}),
        },
    )
    bounds = prune_bounds(facts, HISTORY, [CORRELATOR, READ_MODEL])
    assert ("alerts", 0) not in bounds
    assert ("incidents", 0) not in bounds
