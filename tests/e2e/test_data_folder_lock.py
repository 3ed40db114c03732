"""`tocsin up` owns its data folder: a second one on the same folder is refused before it opens
the log or starts anything, the first keeps paging, and the short-lived readers of the log
(`tocsin export --data`, `tocsin route test --data`) still work beside it. A folder Tocsin
cannot write is refused with its name and the reason, not a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.brokers import free_port
from tests.support.processes import ManagedProcess
from tests.support.receiver import PageReceiver
from tests.support.webhook import post_firing_alert, webhook_config

TOKEN = "lock-ingest-token"


def _config(folder: Path, receiver_url: str) -> Path:
    return webhook_config(folder, TOKEN, receiver_url)


def _tocsin(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "services.cli.main", *args]
    env = {**os.environ, "TOCSIN_LOG_FORMAT": "json"}
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)


def _post(base: str, alertname: str) -> None:
    post_firing_alert(base, TOKEN, {"alertname": alertname}, f"{alertname} fired")


@pytest.mark.e2e
def test_a_second_up_on_the_same_data_folder_is_refused_and_the_first_keeps_paging(
    tmp_path: Path, receiver: PageReceiver
) -> None:
    config, data = _config(tmp_path, receiver.url), tmp_path / "data"
    args = ["up", "--config", str(config), "--data", str(data)]

    # Given a running `tocsin up` that paged once,
    first = ManagedProcess(args, tmp_path / "up-1.log").start()
    try:
        _post(first.url, "DiskFull")
        receiver.wait_for(1, timeout_s=30)
        assert first.process is not None

        # when a second one starts on the same data folder,
        second = _tocsin(*args, "--port", str(free_port()))

        # then it exits at once with 2, naming the folder and the first's pid, having started
        # nothing (its only output is the refusal),
        assert second.returncode == 2, second.stderr
        assert second.stderr == (
            f"another tocsin up holds the data folder {data} (pid {first.process.pid});"
            " stop it first or give another --data\n"
        )
        # the first still takes alerts and pages them,
        _post(first.url, "NodeDown")
        receiver.wait_for(2, timeout_s=30)
        assert len(receiver.received) == 2

        # and the log's readers open it beside the running instance.
        export = _tocsin("export", "--config", str(config), "--data", str(data))
        assert export.returncode == 0, export.stderr
        assert len(export.stdout.splitlines()) == 2
        route = _tocsin(
            "route", "test", "--config", str(config), "--data", str(data), "alertname=X"
        )
        assert route.returncode == 0, route.stderr
    finally:
        first.stop()

    # Once the first stopped, its lock is gone with it (the pid left in the file is no lock).
    third = ManagedProcess(args, tmp_path / "up-3.log").start()
    try:
        _post(third.url, "Backlog")
        receiver.wait_for(3, timeout_s=30)
    finally:
        third.stop()


@pytest.mark.e2e
def test_a_data_folder_under_a_file_is_refused_naming_it_and_the_reason(tmp_path: Path) -> None:
    # Given a regular file, which no one (root included) can create a folder in,
    blocker = tmp_path / "f"
    blocker.write_text("")

    # when `tocsin up` is given a data folder under it or the file itself,
    under = _tocsin("up", "--data", str(blocker / "sub"), "--port", str(free_port()))
    itself = _tocsin("up", "--data", str(blocker), "--port", str(free_port()))

    # then each exits with 2 and says which folder and why, without a traceback.
    assert (under.returncode, under.stderr) == (
        2,
        f"cannot write the data folder {blocker / 'sub'}: Not a directory\n",
    )
    assert (itself.returncode, itself.stderr) == (
        2,
        f"cannot write the data folder {blocker}: not a folder\n",
    )


@pytest.mark.e2e
def test_up_on_a_port_in_use_exits_before_it_opens_the_log(tmp_path: Path) -> None:
    """The port is bound before the services start: on Kafka, a process that cannot serve
    never joins the consumer groups (the members would rebalance twice for nothing)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        data = tmp_path / "data"
        done = _tocsin("up", "--data", str(data), "--port", str(port))
    assert done.returncode != 0
    assert "Address already in use" in done.stdout + done.stderr
    assert not (data / "tocsin.sqlite").exists()
