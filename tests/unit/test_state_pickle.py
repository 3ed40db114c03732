"""Snapshot state is read back with the project's classes and plain values only: a pickle
that would call anything else is refused."""

from __future__ import annotations

import os
import pickle
from collections import OrderedDict
from datetime import UTC, datetime, timedelta

import pytest

from shared.alerts import Severity
from shared.runtime.state_pickle import UnknownClass, dump_state, load_state
from shared.topics import domain_key


class _RunsACommand:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("true",))


def test_state_of_project_classes_and_plain_values_comes_back_equal() -> None:
    state = (
        OrderedDict([("a", None)]),
        {"at": datetime(2026, 11, 27, tzinfo=UTC), "for": timedelta(minutes=5)},
        {Severity.CRITICAL},
    )
    assert load_state(dump_state(state)) == state


@pytest.mark.parametrize(
    "payload",
    [pickle.dumps(_RunsACommand()), pickle.dumps(print), pickle.dumps(domain_key)],
    ids=["os.system", "a builtin function", "a project function"],
)
def test_a_pickle_naming_a_function_is_refused(payload: bytes) -> None:
    with pytest.raises(UnknownClass):
        load_state(payload)
