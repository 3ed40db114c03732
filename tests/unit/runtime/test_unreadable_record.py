"""A record a consumer cannot decode stops it with an error naming where the record is on the
log, whether it comes live or while the partition's state is rebuilt."""

from __future__ import annotations

import pytest

from shared.events import AnyEvent, Envelope
from shared.log.port import Outgoing, Record
from shared.runtime.processor import PartitionProcessor, UnreadableRecord


class Folds(PartitionProcessor):
    def apply(self, envelope: Envelope, event: AnyEvent, *, live: bool) -> list[Outgoing]:
        return []


UNREADABLE = [
    pytest.param(b"{not json", id="not JSON"),
    pytest.param(b'{"event_id": "x", "type": "NoSuchEvent"}', id="not an event"),
]


@pytest.mark.parametrize("value", UNREADABLE)
async def test_a_live_record_that_does_not_decode_is_named_by_its_place(value: bytes) -> None:
    record = Record("tocsin.alerts", 2, 1207, "region=eu", value)

    with pytest.raises(UnreadableRecord) as failure:
        await Folds(2).handle_batch([record])

    assert "tocsin.alerts[2] offset 1207 (key 'region=eu')" in str(failure.value)


@pytest.mark.parametrize("value", UNREADABLE)
def test_a_replayed_record_that_does_not_decode_is_named_by_its_place(value: bytes) -> None:
    with pytest.raises(UnreadableRecord, match=r"tocsin\.incidents\[0\] offset 3 "):
        Folds(0).replay(Record("tocsin.incidents", 0, 3, "k", value))
