"""Rows inserted a chunk per statement land exactly as one statement per row would put them."""

from __future__ import annotations

import sqlite3

import pytest

from shared.log.sqlite_rows import insert_rows


def _table() -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER NOT NULL, b BLOB)")
    return connection


@pytest.mark.parametrize("count", [1, 2, 3, 7, 100, 4096, 4097, 9000])
def test_every_row_lands_once_in_order_whatever_the_count(count: int) -> None:
    connection = _table()
    rows = [(f"k{index:05d}", index, bytes([index % 256])) for index in range(count)]
    insert_rows(connection, "INSERT INTO t", rows)
    assert connection.execute("SELECT k, n, b FROM t ORDER BY rowid").fetchall() == rows


def test_no_rows_run_no_statement() -> None:
    connection = _table()
    insert_rows(connection, "INSERT INTO t", [])
    assert connection.execute("SELECT COUNT(*) FROM t").fetchone() == (0,)


def test_an_upsert_tail_lets_the_later_row_of_a_key_win() -> None:
    connection = _table()
    insert_rows(
        connection,
        "INSERT INTO t",
        [("a", 1, None), ("b", 5, None), ("a", 2, None), ("a", 3, None)],
        "ON CONFLICT (k) DO UPDATE SET n = excluded.n",
    )
    assert connection.execute("SELECT k, n FROM t ORDER BY k").fetchall() == [("a", 3), ("b", 5)]


def test_a_row_refused_leaves_the_statement_with_no_row_of_its_chunk() -> None:
    connection = _table()
    with pytest.raises(sqlite3.IntegrityError):
        insert_rows(connection, "INSERT INTO t", [("a", 1, None), ("b", None, None)])
    assert connection.execute("SELECT COUNT(*) FROM t").fetchone() == (0,)
