"""`tocsin replay --output FILE`: the file appears whole once the replay succeeded, or not at all.

The lines are written to a temporary file beside it, moved over it only at the end: a replay
that stops on a bad input line leaves no half file that looks complete, and an output naming
the input itself (read line by line while the replay runs) does not wipe the input first.
A path that is no regular file (`/dev/stdout`, a pipe) is written directly.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


@contextmanager
def replaced_on_success(path: Path, buffering: int) -> Iterator[BinaryIO]:
    """A binary file whose content becomes `path`'s when the block ends without an error."""
    if path.exists() and not path.is_file():
        with path.open("wb", buffering=buffering) as direct:
            yield direct
        return
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        try:
            opened = partial.open("wb", buffering=buffering)
        except OSError as failed:  # named after the file asked for, not the temporary one
            raise OSError(failed.errno, failed.strerror, str(path)) from None
        with opened as output:
            yield output
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
