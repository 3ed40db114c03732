"""The embedded log's records table: a rowid table in new logs, while a log made with the
WITHOUT ROWID table of earlier versions opens and reads and writes as before."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from shared.log.embedded import EmbeddedLog
from shared.log.port import Outgoing

OLD_RECORDS = """
CREATE TABLE records (
    topic TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
    key TEXT NOT NULL, value BLOB NOT NULL,
    PRIMARY KEY (topic, partition, offset)
) WITHOUT ROWID
"""


def records_table(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        [sql] = connection.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'records'"
        ).fetchone()
        return str(sql)
    finally:
        connection.close()


async def write_then_read(path: Path) -> list[bytes]:
    log = EmbeddedLog(path)
    await log.start()
    await log.ensure_topics({"t": 1})
    await log.append([Outgoing("t", "k", b"%d" % index, 0) for index in range(5)])
    await log.close()
    log = EmbeddedLog(path)
    await log.start()
    try:
        return [record.value for record in await log.read("t", 0, 1, 4)]
    finally:
        await log.close()


async def test_a_new_log_keeps_records_in_a_rowid_table(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    assert await write_then_read(path) == [b"1", b"2", b"3"]
    assert "WITHOUT ROWID" not in records_table(path)


async def test_a_log_of_an_earlier_version_keeps_its_table_and_works(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    connection = sqlite3.connect(path)
    connection.execute(OLD_RECORDS)
    connection.close()
    assert await write_then_read(path) == [b"1", b"2", b"3"]
    assert "WITHOUT ROWID" in records_table(path)
