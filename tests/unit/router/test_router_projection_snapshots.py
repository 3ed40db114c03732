"""The read model's snapshot holds the projection exactly: pickled and read back (with only
known classes), it equals the projection that was pickled. Its format is the fingerprint of
the read model's shape, so an upgrade that changes only decisions keeps the snapshots."""

from __future__ import annotations

from collections import deque

import pytest

from services.router.projection.fold import project
from services.router.projection.model import (
    RESOLVED_DETAIL_LIMIT,
    IncidentProjection,
    RecordMeta,
)
from services.router.projection.snapshots import (
    UnreadableSnapshot,
    dump_projection,
    load_projection,
    read_model_format,
)
from shared.events import decode_envelope, unwrap
from shared.log.port import Outgoing
from shared.runtime.code_version import code_fingerprint
from shared.runtime.state_pickle import dump_state
from tests.support.incident_history import after_snapshot, before_snapshot


def folded(
    records: list[Outgoing], resolved_detail_limit: int = RESOLVED_DETAIL_LIMIT
) -> IncidentProjection:
    """The records decoded as the tailer decodes them (times as pydantic reads them)."""
    projection = IncidentProjection(resolved_detail_limit=resolved_detail_limit)
    for record in records:
        if record.value.startswith(b"{"):  # the history's one record that is not an envelope
            envelope = decode_envelope(record.value)
            meta = RecordMeta(record.topic, str(envelope.event_id), envelope.occurred_at)
            project(projection, unwrap(envelope), meta)
    return projection


def test_a_projection_read_back_from_its_snapshot_equals_the_one_pickled() -> None:
    # Given a projection with open, acknowledged, resolved and compacted incidents, pages,
    # verdicts and an expired silence,
    projection = folded(before_snapshot() + after_snapshot(), resolved_detail_limit=1)
    assert any(view.compacted for view in projection.incidents.values())
    assert projection.silences and projection.resolved_order

    # when it is pickled and read back,
    restored = load_projection(dump_projection(projection))

    # then it is equal, down to the deque of resolved incidents.
    assert restored == projection
    assert isinstance(restored.resolved_order, deque)


def test_an_event_waiting_for_its_incident_comes_back_from_the_snapshot() -> None:
    # Given a projection holding a page step of an incident it has not seen open,
    projection = folded(before_snapshot())
    assert list(projection.waiting) == ["INC-9"]

    # when it is pickled and read back, the step still waits for it.
    restored = load_projection(dump_projection(projection))

    assert restored.waiting == projection.waiting
    assert restored.waiting_count == 1


def test_a_snapshot_of_something_else_is_refused() -> None:
    with pytest.raises(UnreadableSnapshot):
        load_projection(dump_state({"incidents": {}}))


def test_the_format_is_the_shape_of_the_read_model_not_the_whole_source() -> None:
    assert read_model_format() != code_fingerprint()
