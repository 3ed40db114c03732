"""A real Alertmanager 0.25 (the Debian package's binary) on free loopback ports."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.support.brokers import free_port
from tests.support.processes import stop

BINARY = "/usr/bin/prometheus-alertmanager"
INSTALL_HINT = (
    "Alertmanager 0.25 is needed at /usr/bin/prometheus-alertmanager: "
    "run `apt-get install prometheus-alertmanager` (or `make system-packages`)"
)


def alertmanager_binary() -> str:
    """The binary's path; AssertionError naming the package to install when it is missing."""
    found = BINARY if Path(BINARY).exists() else shutil.which("prometheus-alertmanager")
    assert found is not None, INSTALL_HINT
    return found


@contextlib.contextmanager
def running_alertmanager(config_yaml: str, folder: Path) -> Iterator[str]:
    """Start Alertmanager with `config_yaml` (no clustering, storage in `folder`); its URL."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "alertmanager.yml"
    config.write_text(config_yaml, encoding="utf-8")
    port = free_port()
    command = [
        alertmanager_binary(),
        f"--config.file={config}",
        f"--storage.path={folder / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
        "--log.level=warn",
    ]
    log_path = folder / "alertmanager.log"
    with log_path.open("ab") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process, log_path)
        yield base
    finally:
        stop(process)


def _wait_ready(base: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"Alertmanager exited with {process.returncode}:\n{log_path.read_text()}"
            )
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/-/ready", timeout=1).status_code == 200:
                return
        time.sleep(0.05)
    raise RuntimeError(f"Alertmanager not ready within 20s:\n{log_path.read_text()}")
