"""Insert many rows in a few statements rather than one statement per row.

`executemany` steps SQLite once per row, and Python's sqlite3 gives up the GIL around every
step: with the event loop busy, the writer thread then waits for it again at each row (up to
the interpreter's switch interval, 5 ms), so a transaction of 100 rows could take hundreds of
milliseconds. A multi-row `VALUES` list is one step. Rows go in power-of-two chunks so that
the statement texts, and so the connection's statement cache, stay few.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

# SQLite allows 32,766 bound parameters per statement (since 3.32); rows of up to 5 columns.
_MOST_ROWS = 4096


def insert_rows(
    connection: sqlite3.Connection, head: str, rows: Sequence[tuple[Any, ...]], tail: str = ""
) -> None:
    """Run `head VALUES (...), (...) tail` over `rows`, in order, in as few statements as the
    chunking allows. `head` is e.g. "INSERT INTO t", `tail` e.g. an ON CONFLICT clause."""
    if not rows:
        return
    width = len(rows[0])
    placeholder = "(" + ", ".join("?" * width) + ")"
    start = 0
    while start < len(rows):
        size = min(_MOST_ROWS, 1 << ((len(rows) - start).bit_length() - 1))
        chunk = rows[start : start + size]
        values = ", ".join([placeholder] * size)
        connection.execute(
            f"{head} VALUES {values} {tail}", [value for row in chunk for value in row]
        )
        start += size
