"""Label fingerprints: Alertmanager's values, whatever the order, cached within bounds."""

from __future__ import annotations

import pytest

from shared import fingerprint
from shared.fingerprint import label_fingerprint

# Fingerprints Alertmanager 0.25 sent for these label sets (tests/unit/normalizers/payloads).
ALERTMANAGER_SENT = [
    ({"alertname": "DiskFull", "instance": "i1", "severity": "warning"}, "ff87fab9a4226e28"),
    ({"alertname": "DiskFull", "instance": "i2", "severity": "warning"}, "5c6d9cdbacfde259"),
]


@pytest.mark.parametrize(("labels", "expected"), ALERTMANAGER_SENT)
def test_equals_alertmanager_whatever_the_order_and_the_cache(
    labels: dict[str, str], expected: str
) -> None:
    fingerprint._cache.clear()
    reversed_order = dict(reversed(labels.items()))

    assert label_fingerprint(labels) == expected  # computed
    assert label_fingerprint(reversed_order) == expected  # cached, other order
    assert label_fingerprint(dict(labels)) == expected


def test_a_label_value_moved_to_another_name_changes_it() -> None:
    assert label_fingerprint({"a": "x", "b": "y"}) != label_fingerprint({"a": "y", "b": "x"})


def test_the_cache_keeps_at_most_its_size_and_answers_stay_right(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fingerprint, "_CACHE_SIZE", 4)
    fingerprint._cache.clear()
    sets = [{"alertname": "A", "instance": f"host-{n}"} for n in range(10)]
    first = [label_fingerprint(labels) for labels in sets]

    assert len(fingerprint._cache) == 4
    assert frozenset(sets[-1].items()) in fingerprint._cache  # the newest stay
    assert [label_fingerprint(labels) for labels in sets] == first
    assert len(set(first)) == 10


def test_label_sets_past_the_size_limit_are_answered_but_not_kept() -> None:
    fingerprint._cache.clear()
    huge = {"alertname": "A", "detail": "x" * 2000}

    once, again = label_fingerprint(huge), label_fingerprint(huge)

    assert once == again
    assert fingerprint._cache == {}
