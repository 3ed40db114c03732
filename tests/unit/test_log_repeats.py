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


def test_records_with_an_exception_are_always_written(written: io.StringIO) -> None:
    log = logging.getLogger("tests.repeats")
    for failure in (ValueError("bad value"), KeyError("missing")):
        try:
            raise failure
        except Exception:
            log.exception("request failed")

    out = lines(written)
    assert [str(line["exception"]).splitlines()[-1] for line in out] == [
        "ValueError: bad value",
        "KeyError: 'missing'",
    ]


class Unprintable:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")

    def __str__(self) -> str:
        return "unprintable"


def test_a_record_the_filter_cannot_read_still_reaches_the_handler(
    written: io.StringIO,
) -> None:
    logging.getLogger("tests.repeats").warning("odd context", extra={"thing": Unprintable()})
    # Arguments that do not fit the message: the handler reports it, as logging does.
    unfit = logging.makeLogRecord({"msg": "count %d", "args": ("not a number",)})

    assert [(line["message"], line["thing"]) for line in lines(written)] == [
        ("odd context", "unprintable")
    ]
    assert RepeatedLines().filter(unfit) is True


def test_a_line_keeps_its_count_while_fewer_than_the_limit_were_written_since(
    clock: ManualClock, written: io.StringIO
) -> None:
    log = logging.getLogger("tests.repeats")
    for second in range(5):
        clock.now = second
        log.error("broker down")
    clock.now = 11
    for index in range(1_001):  # other lines in between, fewer than the lines followed
        log.info("line %d", index)
    clock.now = 12
    log.error("broker down")

    last = lines(written)[-1]
    assert (last["message"], last.get("repeated")) == ("broker down", 4)
