"""`lock_data_folder`: one holder of a data folder at a time, with its pid in the lock file; a
folder that cannot be written is refused with its name and the reason."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from shared.log.embedded_lock import LOCK_NAME, DataFolderError, lock_data_folder

LOG = "tocsin.sqlite"


def test_the_folder_is_created_and_the_lock_file_holds_the_pid(tmp_path: Path) -> None:
    lock = lock_data_folder(tmp_path / "new" / "data", LOG)
    try:
        assert (tmp_path / "new" / "data" / LOCK_NAME).read_text() == f"{os.getpid()}\n"
        assert [p.name for p in (tmp_path / "new" / "data").iterdir()] == [LOCK_NAME]
        assert stat.S_IMODE((tmp_path / "new" / "data").stat().st_mode) == 0o700
    finally:
        lock.release()


def test_a_second_lock_is_refused_naming_the_holder_until_the_first_is_released(
    tmp_path: Path,
) -> None:
    first = lock_data_folder(tmp_path, LOG)
    with pytest.raises(DataFolderError) as refused:
        lock_data_folder(tmp_path, LOG)
    assert str(refused.value) == (
        f"another tocsin up holds the data folder {tmp_path} (pid {os.getpid()}); stop it"
        " first or give another --data"
    )
    first.release()
    lock_data_folder(tmp_path, LOG).release()


def test_a_stale_pid_in_the_lock_file_does_not_lock(tmp_path: Path) -> None:
    (tmp_path / LOCK_NAME).write_text("999999\n")
    lock = lock_data_folder(tmp_path, LOG)
    try:
        assert (tmp_path / LOCK_NAME).read_text() == f"{os.getpid()}\n"
    finally:
        lock.release()


def test_a_folder_under_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(DataFolderError) as refused:
        lock_data_folder(tmp_path / "f" / "sub", LOG)
    assert str(refused.value) == (
        f"cannot write the data folder {tmp_path / 'f' / 'sub'}: Not a directory"
    )
