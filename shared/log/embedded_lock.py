"""The data folder of `tocsin up`: one process writes it, and it must be writable.

Two writers of one embedded log would collide on every append (each counts offsets in memory),
so `tocsin up` takes an exclusive `flock` on `<data>/tocsin.lock` before it opens the log, and
holds it while it runs; the kernel drops it when the process ends, even by `kill -9`. Readers
that open the log for a moment (`tocsin export --data`, `tocsin route test --data`) take no lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from pathlib import Path

LOCK_NAME = "tocsin.lock"


class DataFolderError(Exception):
    """The data folder cannot be used; the message says why, for the person who started us."""


class DataFolderLock:
    """The exclusive lock of a data folder, held until `release` or the end of the process."""

    def __init__(self, folder: Path, fd: int) -> None:
        self.folder = folder
        self._fd = fd

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # closing the only descriptor drops the flock
            self._fd = -1


def lock_data_folder(folder: Path, log_name: str) -> DataFolderLock:
    """Create `folder` if need be, check that this process can write it and the log file
    `log_name` in it, and lock it; raise `DataFolderError` naming the folder otherwise."""
    folder = folder.absolute()
    try:
        # Its owner's alone when made: the log holds alerts' payloads and the config's text.
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except FileExistsError:
        raise DataFolderError(f"cannot write the data folder {folder}: not a folder") from None
    except OSError as error:
        raise _unwritable(folder, error) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(fd)
        os.close(fd)
        raise DataFolderError(
            f"another tocsin up holds the data folder {folder} ({holder}); stop it first or"
            " give another --data"
        ) from None
    try:
        _check_writable(folder, folder / log_name)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except OSError as error:
        os.close(fd)
        raise _unwritable(folder, error) from None
    return DataFolderLock(folder, fd)


def _check_writable(folder: Path, log_file: Path) -> None:
    """SQLite creates its -wal and -shm files next to the log, and writes the log itself."""
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".tocsin-write-check-"):
        pass
    if log_file.exists():
        with log_file.open("r+b"):
            pass


def _holder(fd: int) -> str:
    with contextlib.suppress(OSError, ValueError):
        return f"pid {int(os.pread(fd, 32, 0).decode().strip())}"
    return "pid unknown"  # it has the lock but has not written its pid yet


def _unwritable(folder: Path, error: OSError) -> DataFolderError:
    reason = error.strerror or str(error)
    if error.filename and Path(os.fsdecode(error.filename)) != folder:
        reason = f"{reason}: {os.fsdecode(error.filename)}"
    return DataFolderError(f"cannot write the data folder {folder}: {reason}")
