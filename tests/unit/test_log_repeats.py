"""A line logged again and again (a broker down: every failed connection, every refused
request) is written once per window, and the next one says how many were left out."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from shared.logs import JsonFormatter, RepeatedLines
from tests.support.manual_clock import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def written(clock: ManualClock) -> Iterator[io.StringIO]:
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RepeatedLines(window_s=10, clock=clock))
    logger = logging.getLogger("tests.repeats")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield sink
    logger.removeHandler(handler)


def lines(sink: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in sink.getvalue().splitlines()]


def test_a_line_repeated_within_the_window_is_written_once_then_counted(
    clock: ManualClock, written: io.StringIO
) -> None:
    log = logging.getLogger("tests.repeats")
    for second in range(5):
        clock.now = second
        log.error("Unable connect to node with id %s", 111)
    clock.now = 12
    log.error("Unable connect to node with id %s", 111)

    out = lines(written)
    assert [line["message"] for line in out] == ["Unable connect to node with id 111"] * 2
    assert "repeated" not in out[0] and out[1]["repeated"] == 4


def test_lines_differing_in_message_context_or_level_are_each_written(
    clock: ManualClock, written: io.StringIO
) -> None:
    log = logging.getLogger("tests.repeats")
    log.warning("request not stored: log unavailable", extra={"integration": "prom"})
    log.warning("request not stored: log unavailable", extra={"integration": "grafana"})
    log.warning("request not stored: log unavailable", extra={"integration": "prom"})
    log.error("request not stored: log unavailable", extra={"integration": "prom"})
    log.error("Unable connect to node with id %s", 112)

    out = lines(written)
    assert [(line["level"], line.get("integration")) for line in out] == [
        ("warning", "prom"),
        ("warning", "grafana"),
        ("error", "prom"),
        ("error", None),
    ]
