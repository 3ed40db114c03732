"""The text log format: one line per record with its context fields, which no text from a
sender can break into a line of its own."""

from __future__ import annotations

import logging

from shared.logs import TextFormatter


def record(message: str, *args: object, **context: object) -> logging.LogRecord:
    fields = {"name": "tocsin.api", "levelname": "INFO", "levelno": logging.INFO}
    return logging.makeLogRecord({**fields, "msg": message, "args": args, **context})


def test_the_context_fields_follow_the_message_as_key_value() -> None:
    line = TextFormatter().format(
        record("incident command refused: %s", "already resolved", incident_id="INC-1", actor="bob")
    )

    assert line.endswith(
        "INFO tocsin.api: incident command refused: already resolved incident_id=INC-1 actor=bob"
    )


def test_a_line_break_from_a_sender_cannot_start_a_line_of_its_own() -> None:
    forged = "x\n2026-11-29T23:53:28.502+00:00 WARNING tocsin.api: refused"

    line = TextFormatter().format(record("page %s", forged, actor="mal\nlory", note="two words"))

    assert "\n" not in line
    assert line.endswith(
        "page x\\n2026-11-29T23:53:28.502+00:00 WARNING tocsin.api: refused actor=mal\\nlory"
        ' note="two words"'
    )
