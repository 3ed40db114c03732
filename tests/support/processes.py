"""Running Tocsin commands as real subprocesses, the way users run them."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.support.brokers import free_port


@contextlib.contextmanager
def tocsin_process(
    args: list[str], log_path: Path, *, port: int | None = None, ready_timeout_s: float = 30.0
) -> Iterator[str]:
    """Start `tocsin ARGS --port P`, wait until /readyz answers 200, yield its base URL."""
    port = port or free_port()
    command = [sys.executable, "-m", "services.cli.main", *args, "--port", str(port)]
    env = {**os.environ, "TOCSIN_LOG_FORMAT": "json"}
    with log_path.open("ab") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process, ready_timeout_s, log_path)
        yield base
    finally:
        stop(process)


def _wait_ready(base: str, process: subprocess.Popen[bytes], timeout_s: float, log: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"tocsin exited with {process.returncode}:\n{log.read_text()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/readyz", timeout=1.0).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"tocsin not ready within {timeout_s}s:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


class ManagedProcess:
    """A `tocsin` subprocess that a test can kill with SIGKILL and start again."""

    def __init__(
        self,
        args: list[str],
        log_path: Path,
        port: int | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.args = args
        self.env = {**os.environ, **(env or {})}
        self.log_path = log_path
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_timeout_s: float = 60.0) -> ManagedProcess:
        command = [sys.executable, "-m", "services.cli.main", *self.args, "--port", str(self.port)]
        with self.log_path.open("ab") as sink:
            self.process = subprocess.Popen(
                command, stdout=sink, stderr=subprocess.STDOUT, env=self.env
            )
        _wait_ready(self.url, self.process, ready_timeout_s, self.log_path)
        return self

    def kill9(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
